"""A synthetic AudioMoth season for the demo: recordings, ground truth and a demo model.

Everything here is made up and labelled so: the planted calls are a frog-like grunt series
invented for the demo (``Synthetic grunt frog``), not any real species, and the demo model
(``AST_demo_synthetic:0.1``) detects only them.
"""
