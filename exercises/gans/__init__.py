"""The parts of the GAN exercise pack (``exercises/gan.py``): function, model and training checks."""
