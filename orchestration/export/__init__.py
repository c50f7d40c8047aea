"""Exports: files for the people who work outside BI, read from the last checked build.

``outreach.write_outreach_export(settings, ...)`` writes the recall team's contact list
(SPEC §8, §10), the one output that carries personal data.
"""
