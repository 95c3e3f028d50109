"""The Dash dashboard (calls over time, temperature, site map, review).

Not built yet: no issue has asked for it so far.
"""
