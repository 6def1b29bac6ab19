"""The networks: mixture head, attention window, deep LSTM, the models and the recogniser, CTC, and
the files they are kept in (checkpoints, exported model files, the shipped weights)."""
