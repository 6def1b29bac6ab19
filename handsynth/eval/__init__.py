"""Evaluation: metrics of a model on data, legibility, OCR and the diagnostic plots."""
