"""Paying students and schools: bank details, payment runs, the bank files (ISO 20022
pain.001 and CPA-005), returns from the bank statement, and the accounting export."""
