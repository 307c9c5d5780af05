"""ConnectWise Manage as a product: it serves every capability the copilot has."""

from __future__ import annotations

from typing import get_args

from catalog import Capability
from psa.provider import Product

PRODUCT = Product(name="connectwise", title="ConnectWise Manage", short="ConnectWise", capabilities=frozenset(get_args(Capability)))
