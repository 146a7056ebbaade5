"""pgwire: PostgreSQL's frontend/backend protocol 3.0 (and 3.2), sans-IO.

Bytes in, events out; messages in, bytes out. No sockets, no event loop, no clocks: the same
package serves a client, a fake server or a proxy.
"""

from __future__ import annotations

from pgwire.__about__ import __version__

__all__ = ["__version__"]
