"""Outputs users touch, read from the published BI file: the monthly finance report."""
