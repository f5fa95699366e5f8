"""Networks and their settings, one family per file: DCGAN and the 2D MLP GAN, the judging
classifier, GPT (text) with its sampling, and the diffusion UNet with its caption encoder."""
