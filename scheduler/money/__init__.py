"""Money: fees, pay, the flex-time ledger and the budget (SPEC §3, §5, §6), exact decimals."""
