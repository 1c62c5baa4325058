"""``Shard``: one shard of a data set's entries, as ``hash_files(..., shard=(k, n))`` returns it
and ``sgx-measure hash-files --shard K/N`` writes it."""

from . import _native

_FIELDS = ("index", "count", "files", "start", "end", "tree", "format")


class Shard(list):
    """The entries of shard ``index`` of ``count`` (a list of ``Entry``, in walk order) and the
    record that lets ``merge_entries`` check the shards belong together: the number of files in
    the whole tree (``files``), the numbers of the files this shard holds (``range``: files
    ``index*files//count`` up to ``(index+1)*files//count``, in walk order), the SHA-256 of every
    URI of the tree in order (``tree``, hex) and the format ``sgx-measure entries merge`` writes
    (``format``).

    Picklable (Dask moves it between processes). ``to_bytes()`` / ``save()`` give the shard file
    of ``sgx-measure hash-files --shard K/N``; ``from_bytes()`` / ``load()`` read one.
    """

    __slots__ = _FIELDS

    def __init__(self, entries, index, count, files, start, end, tree, format="toml"):
        super().__init__(entries)
        self.index, self.count, self.files = index, count, files
        self.start, self.end, self.tree, self.format = start, end, tree, format

    @property
    def range(self):
        """The numbers of this shard's files among the tree's ``files`` files."""
        return range(self.start, self.end)

    def _record(self):
        return tuple(getattr(self, f) for f in _FIELDS)

    def __reduce__(self):
        return (Shard, (list(self), *self._record()))

    def __repr__(self):
        return (f"Shard({self.index}/{self.count}, files {self.start}..{self.end} of "
                f"{self.files}, {len(self)} entries, tree {self.tree[:16]}...)")

    def __eq__(self, other):
        if isinstance(other, Shard):
            return self._record() == other._record() and list.__eq__(self, other)
        return list.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def to_bytes(self):
        """The shard file, as ``sgx-measure hash-files --shard K/N`` writes it."""
        return _native._shard_to_bytes(self)

    def save(self, path):
        """Writes the shard file (atomically)."""
        _native._shard_save(self, path)

    @classmethod
    def from_bytes(cls, data, *, name="<bytes>"):
        """Reads a shard file (``name`` is how error messages call it)."""
        return _native._shard_parse(data, name)

    @classmethod
    def load(cls, path):
        """Reads a shard file, e.g. written by ``sgx-measure hash-files --shard K/N``."""
        return _native._shard_load(path)
