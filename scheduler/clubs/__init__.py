"""Clubs (SPEC §12): the lottery, the plan version with clubs, their money and hand-outs."""
