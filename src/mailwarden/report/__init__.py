"""Output formats: a stage of their own (text with rich, JSON), chosen by a flag."""
