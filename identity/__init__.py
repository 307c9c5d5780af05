"""Who is asking: technicians, their bearer tokens and ConnectWise keys, OIDC sign-in, and the identity that
travels with each request (into the provider it acts with and the audit rows it leaves)."""
