"""Training: the loop, the tasks it trains on, the optimizer and the precision probe."""
