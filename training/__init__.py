"""Corpus tools, training and evaluation; imports `model`, never the other way round."""
