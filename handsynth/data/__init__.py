"""Data: the alphabet, IAM-OnDB parsing, stroke geometry, the prepare step, batches, corpora."""
