"""The boundary check report for staff (/check/), over the rules of layers.rules."""
