"""ConnectWise callbacks: the receiver (POST /connectwise/callbacks), the worker that keeps the knowledge index
current per record and makes hints for new tickets, and `psa-copilot callbacks register|list|remove`."""
