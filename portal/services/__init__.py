"""Every write the portal makes: accounts, applications and documents, and mail."""
