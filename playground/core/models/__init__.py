"""Model families, one per file: DCGAN, the 2D MLP GAN, the judging classifier and GPT (text)."""
