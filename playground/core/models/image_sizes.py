"""Image sizes the DCGAN builds, kept free of torch so configs validate without it.

Sizes are ``base * 2**k`` with base 4 or 7: the generator starts from a
``base x base`` feature map and doubles it ``k`` times.
"""

# side -> (side of the first feature map, number of x2 upsamplings)
LAYOUTS = {8: (4, 1), 16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}
IMAGE_SIZES = tuple(LAYOUTS)
