"""Pure decisions: what a caller hears (``call``), what a text gets back (``texts``), the
abuse guards (``guards``), the words of last resort (``last_resort``) and the named
outcomes they return (``outcomes``). No I/O: the web layer reads and writes, then asks."""
