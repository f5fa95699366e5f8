"""Model families, one per file: DCGAN, the 2D MLP GAN and the judging classifier."""
