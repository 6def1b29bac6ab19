"""Sampling: pen steps, text and recogniser readings drawn from trained weights, mostly in numpy."""
