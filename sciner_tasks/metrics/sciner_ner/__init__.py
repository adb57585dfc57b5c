"""Present so setuptools ships sciner_ner.py; `evaluate.load` reads the script by path."""
