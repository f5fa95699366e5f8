"""Datasets: the bundled ones, user files, and the types both load into."""
