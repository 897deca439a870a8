"""Governance: the register of processing, the opt-out register and the governance report."""
