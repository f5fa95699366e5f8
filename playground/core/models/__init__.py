"""Model families, one per file: DCGAN, the 2D MLP GAN, the judging classifier, and the diffusion UNet
with its caption encoder."""
