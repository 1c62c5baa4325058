"""The exceptions of sgx_measure.

Every error the module raises about its inputs is an ``sgx_measure.Error`` (or, for an argument of
the wrong Python type, a ``TypeError``). Each carries:

* ``code``: a stable, machine-readable name of what went wrong (``"read"``, ``"toml"``,
  ``"policy"``, ...; listed in the class docstrings below);
* ``path``: the file concerned, when there is one, else ``None``;
* ``entry``: the 0-based index of the entry concerned, when there is one, else ``None``;

and a message (``str(e)``) that names the file, manifest key or entry, with its causes joined by
``": "`` as the ``sgx-measure`` command prints them.
"""

from typing import Optional

__all__ = [
    "Error",
    "FileError",
    "ParseError",
    "ManifestError",
    "SigningError",
    "MeasurementError",
    "PolicyError",
    "VerificationError",
    "ArgumentError",
    "UnsupportedError",
    "InternalError",
    "GramineWarning",
]


class Error(Exception):
    """Base class of every sgx_measure error."""

    code: str
    path: Optional[str]
    entry: Optional[int]

    def __init__(self, message: str, *, code: str = "error", path: Optional[str] = None,
                 entry: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.entry = entry

    def __reduce__(self):
        return (_rebuild, (type(self), str(self), self.code, self.path, self.entry))


def _rebuild(cls, message, code, path, entry):
    return cls(message, code=code, path=path, entry=entry)


class FileError(Error, OSError):
    """A file could not be read, written, listed or hashed (also an ``OSError``).

    codes: ``read``, ``write``, ``create_dir``, ``stat``, ``list``, ``hash``, ``exists``,
    ``not_utf8_path``, ``not_file_or_dir``.
    """

    def __init__(self, message: str, *, code: str = "read", path: Optional[str] = None,
                 entry: Optional[int] = None) -> None:
        Error.__init__(self, message, code=code, path=path, entry=entry)
        self.filename = path

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ParseError(Error, ValueError):
    """Input that cannot be read as what it should be (also a ``ValueError``).

    codes: ``toml`` (TOML syntax), ``entries`` (a data owner's entries), ``entry_list`` (the
    canonical entry list), ``evidence`` (a quote or report), ``sigstruct`` (a ``.sig``),
    ``bundle`` (a base bundle), ``shard`` (a shard file), ``hash_cache``, ``diff``,
    ``sdk_config`` (an SDK enclave's configuration XML).
    """


class ManifestError(Error):
    """What Gramine's manifest processing refuses (its own error, in its words).

    codes: ``manifest``, ``attributes`` (SGX attributes, ``sgx.cpu_features``).
    """


class SigningError(Error):
    """A signing key or signature that cannot be used.

    codes: ``key``, ``signature``.
    """


class MeasurementError(Error):
    """The enclave cannot be laid out or measured.

    codes: ``pal`` (libpal is not an ELF the layout can use), ``layout`` (e.g. the enclave is too
    small), ``measure``, ``append``, ``sdk`` (an SDK enclave ``sgx_sign`` refuses).
    """


class PolicyError(Error):
    """An appended entry breaks the base bundle's append policy, or an allowed prefix is refused.

    codes: ``policy`` (``entry`` is the offending entry, ``rule`` names the rule:
    ``nothing_may_be_appended``, ``outside_prefixes``, ``not_a_file_uri``, ``bad_path_segment``,
    ``repeats_base_uri``, ``duplicate``, ``not_writable_by_toml0102``, ``line_break_or_nul_in_uri``,
    ``not_a_sha256``), ``prefix``.
    """

    rule: Optional[str] = None


class VerificationError(Error):
    """Evidence that did not pass verification (``Verdict.raise_for_failure``).

    code: ``verification_failed``; ``verdict`` is the ``Verdict``.
    """

    verdict = None


class ArgumentError(Error, ValueError):
    """An argument value that cannot be used (also a ``ValueError``).

    codes: ``argument``, ``invalid``, ``depfile``, ``shards`` (``merge_entries`` given shards that do not
    make up one run: of other trees, of another ``n`` or format, a shard twice, a shard missing,
    a shard not holding exactly its files, entries changed, or a plain list).
    """


class UnsupportedError(Error):
    """Something this version cannot do (it fails closed rather than skip a check).

    code: ``unsupported``.
    """


class InternalError(Error):
    """A consistency check failed: a bug, please report it. code: ``internal``."""


class GramineWarning(UserWarning):
    """A warning Gramine itself prints (deprecated manifest syntax), in its words."""


# Shown (and pickled) as sgx_measure.X, where users import them from.
for _cls in (Error, FileError, ParseError, ManifestError, SigningError, MeasurementError,
             PolicyError, VerificationError, ArgumentError, UnsupportedError, InternalError,
             GramineWarning):
    _cls.__module__ = "sgx_measure"
del _cls
