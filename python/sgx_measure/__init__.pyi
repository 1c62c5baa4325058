"""Type stubs of sgx_measure (the native module sgx_measure._native and the exceptions)."""

import os
from typing import Callable, overload, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from ._errors import (
    ArgumentError as ArgumentError,
    Error as Error,
    FileError as FileError,
    GramineWarning as GramineWarning,
    InternalError as InternalError,
    ManifestError as ManifestError,
    MeasurementError as MeasurementError,
    ParseError as ParseError,
    PolicyError as PolicyError,
    SigningError as SigningError,
    UnsupportedError as UnsupportedError,
    VerificationError as VerificationError,
)

__version__: str

StrPath = Union[str, "os.PathLike[str]"]
BytesLike = Union[bytes, bytearray, memoryview]
PathOrBytes = Union[StrPath, BytesLike]
EntriesLike = Union[Iterable[Union["Entry", Tuple[str, str]]], PathOrBytes]


class Entry:
    """One trusted-file entry: URI and SHA-256 (hex, as given). Immutable, hashable, picklable;
    unpacks as ``uri, sha256 = entry``."""

    uri: str
    sha256: str

    def __init__(self, uri: str, sha256: str) -> None: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...


class Shard(List[Entry]):
    """Shard `index` of `count` of a data set's entries (what hash_files(..., shard=(k, n))
    returns): the entries of files `range` of the tree's `files`, in walk order, and the tree's
    digest (SHA-256 of its URIs). to_bytes/save/from_bytes/load: the shard file of
    `sgx-measure hash-files --shard K/N`."""

    index: int
    count: int
    files: int
    start: int
    end: int
    tree: str
    format: str
    def __init__(
        self,
        entries: Iterable[Entry],
        index: int,
        count: int,
        files: int,
        start: int,
        end: int,
        tree: str,
        format: str = "toml",
    ) -> None: ...
    @property
    def range(self) -> range: ...
    def to_bytes(self) -> bytes: ...
    def save(self, path: StrPath) -> None: ...
    @classmethod
    def from_bytes(cls, data: BytesLike, *, name: str = "<bytes>") -> "Shard": ...
    @classmethod
    def load(cls, path: StrPath) -> "Shard": ...


class Sigstruct:
    """A SIGSTRUCT (``.sig``)."""

    @property
    def mrenclave(self) -> str: ...
    @property
    def mrsigner(self) -> str: ...
    @property
    def isvprodid(self) -> int: ...
    @property
    def isvsvn(self) -> int: ...
    @property
    def debug(self) -> bool: ...
    @property
    def attribute_flags(self) -> int: ...
    @property
    def attribute_xfrm(self) -> int: ...
    @property
    def attribute_flags_mask(self) -> int: ...
    @property
    def attribute_xfrm_mask(self) -> int: ...
    @property
    def misc_select(self) -> int: ...
    @property
    def misc_mask(self) -> int: ...
    @property
    def isv_family_id(self) -> str: ...
    @property
    def isv_ext_prod_id(self) -> str: ...
    @property
    def bytes(self) -> bytes: ...
    @property
    def signing_data(self) -> bytes: ...
    @property
    def signature_valid(self) -> bool: ...
    def date(self, *, gramine: str = "1.9") -> str: ...
    def verify(self) -> Dict[str, Optional[str]]: ...
    def view(self, *, format: str = "json", verbose: bool = False, gramine: str = "1.9") -> str: ...


class Signed:
    """What ``sign`` wrote."""

    @property
    def mrenclave(self) -> str: ...
    @property
    def mrsigner(self) -> str: ...
    @property
    def manifest_sgx(self) -> "os.PathLike[str]": ...
    @property
    def sig(self) -> "os.PathLike[str]": ...
    @property
    def sigstruct(self) -> Sigstruct: ...


class Bundle:
    """An algorithm owner's base bundle."""

    @classmethod
    def build(
        cls,
        manifest: PathOrBytes,
        *,
        libpal: PathOrBytes,
        allow_prefixes: Union[Sequence[str], str],
        gramine: str = "1.9",
        tomli_w: str = "1",
        libos: Optional[StrPath] = None,
        libos_sha256: Optional[str] = None,
        hash_cache: Optional[StrPath] = None,
        chroot: Optional[StrPath] = None,
    ) -> "Bundle": ...
    @classmethod
    def load(cls, path_or_bytes: PathOrBytes) -> "Bundle": ...
    def append(self, entries: EntriesLike, *, unsafe_no_policy: bool = False) -> str: ...
    def final_manifest(self, entries: EntriesLike, *, unsafe_no_policy: bool = False) -> bytes: ...
    def save(self, path: StrPath) -> None: ...
    @property
    def base_mrenclave(self) -> str: ...
    @property
    def gramine(self) -> str: ...
    @property
    def allow_prefixes(self) -> List[str]: ...
    @property
    def bytes(self) -> bytes: ...
    @property
    def sha256(self) -> str: ...


class Attributes:
    """SGX ATTRIBUTES of a report body."""

    @property
    def flags(self) -> int: ...
    @property
    def xfrm(self) -> int: ...
    @property
    def init(self) -> bool: ...
    @property
    def debug(self) -> bool: ...
    @property
    def mode64bit(self) -> bool: ...
    @property
    def provision_key(self) -> bool: ...
    @property
    def einittoken_key(self) -> bool: ...
    @property
    def kss(self) -> bool: ...


class Evidence:
    """What a REPORT and a quote share: the enclave's report body."""

    @property
    def kind(self) -> str: ...
    @property
    def encoding(self) -> str: ...
    @property
    def bytes(self) -> bytes: ...
    @property
    def mrenclave(self) -> str: ...
    @property
    def mrsigner(self) -> str: ...
    @property
    def isvprodid(self) -> int: ...
    @property
    def isvsvn(self) -> int: ...
    @property
    def attributes(self) -> Attributes: ...
    @property
    def debug(self) -> bool: ...
    @property
    def config_id(self) -> str: ...
    @property
    def config_svn(self) -> int: ...
    @property
    def report_data(self) -> bytes: ...
    @property
    def cpu_svn(self) -> str: ...
    @property
    def misc_select(self) -> int: ...
    @property
    def isv_ext_prod_id(self) -> str: ...
    @property
    def isv_family_id(self) -> str: ...


class Report(Evidence):
    """A 432-byte SGX REPORT."""

    @property
    def key_id(self) -> str: ...
    @property
    def mac(self) -> str: ...


class Quote(Evidence):
    """A DCAP quote (v3, v4 or v5) of an SGX enclave."""

    @property
    def version(self) -> int: ...
    @property
    def tee_type(self) -> int: ...
    @property
    def att_key_type(self) -> int: ...
    @property
    def qe_svn(self) -> int: ...
    @property
    def pce_svn(self) -> int: ...
    @property
    def qe_vendor_id(self) -> str: ...
    @property
    def user_data(self) -> bytes: ...
    @property
    def pck_cert_chain(self) -> Optional[str]: ...


class Check:
    """One named check of a Verdict."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def expected(self) -> str: ...
    @property
    def found(self) -> str: ...
    @property
    def detail(self) -> str: ...


class Verdict:
    """The outcome of verify: accepted only if every check passed."""

    @property
    def ok(self) -> bool: ...
    @property
    def checks(self) -> List[Check]: ...
    @property
    def failed(self) -> List[str]: ...
    @property
    def evidence(self) -> str: ...
    @property
    def notes(self) -> List[str]: ...
    @property
    def expected_mrenclave(self) -> Optional[str]: ...
    @property
    def entries_configid(self) -> Optional[str]: ...
    @property
    def tcb_status(self) -> Optional[str]: ...
    @property
    def advisory_ids(self) -> List[str]: ...
    def get(self, id: str) -> Optional[Check]: ...
    def to_json(self, *, indent: Optional[int] = 2) -> str: ...
    def raise_for_failure(self) -> None: ...
    def __bool__(self) -> bool: ...


def mrenclave(manifest_sgx: PathOrBytes, libpal: PathOrBytes, *, gramine: str = "1.9") -> str: ...
def sign(
    manifest: PathOrBytes,
    *,
    libpal: PathOrBytes,
    key: PathOrBytes,
    output: StrPath,
    sigfile: Optional[StrPath] = None,
    date: str = "today",
    gramine: str = "1.9",
    tomli_w: str = "1",
    libos: Optional[StrPath] = None,
    libos_sha256: Optional[str] = None,
    hash_cache: Optional[StrPath] = None,
    chroot: Optional[StrPath] = None,
    passphrase: Optional[str] = None,
) -> Signed: ...
def expand(
    manifest: PathOrBytes,
    *,
    output: Optional[StrPath] = None,
    gramine: str = "1.9",
    tomli_w: str = "1",
    libos: Optional[StrPath] = None,
    libos_sha256: Optional[str] = None,
    hash_cache: Optional[StrPath] = None,
    chroot: Optional[StrPath] = None,
) -> bytes: ...
@overload
def hash_files(
    paths: Union[StrPath, Iterable[StrPath]],
    *,
    uri_prefix: Optional[str],
    shard: None = None,
    progress: Optional[Callable[[int, int], object]] = None,
    hash_cache: Optional[StrPath] = None,
) -> List[Entry]: ...
@overload
def hash_files(
    paths: Union[StrPath, Iterable[StrPath]],
    *,
    uri_prefix: Optional[str],
    shard: Tuple[int, int],
    progress: Optional[Callable[[int, int], object]] = None,
    hash_cache: Optional[StrPath] = None,
) -> Shard: ...
def read_entries(
    path_or_bytes: PathOrBytes, *, format: Optional[str] = None, uri_prefix: str = "file:"
) -> List[Entry]: ...
def write_entries(
    entries: Iterable[Union[Entry, Tuple[str, str]]], path: StrPath, *, format: str
) -> None: ...
def merge_entries(*lists: Shard) -> List[Entry]: ...
def configid(entries: EntriesLike) -> str: ...
def parse_evidence(data: PathOrBytes) -> Union[Quote, Report]: ...
def parse_sigstruct(data: PathOrBytes) -> Sigstruct: ...
def verify(
    *,
    bundle: Optional[Union[Bundle, PathOrBytes]] = None,
    entries: Optional[EntriesLike] = None,
    manifest: Optional[PathOrBytes] = None,
    libpal: Optional[PathOrBytes] = None,
    expect_mrenclave: Optional[str] = None,
    quote: Optional[Union[Quote, PathOrBytes]] = None,
    report: Optional[Union[Report, PathOrBytes]] = None,
    sig: Optional[Union[Sigstruct, PathOrBytes]] = None,
    token: Optional[Union[StrPath, bytes, str]] = None,
    collateral: Optional[PathOrBytes] = None,
    jwks: Optional[PathOrBytes] = None,
    trust_root: Optional[PathOrBytes] = None,
    mrsigner: Optional[str] = None,
    isvprodid: Optional[int] = None,
    min_isvsvn: Optional[int] = None,
    configid: Optional[str] = None,
    allow_debug: bool = False,
    ra_tls_cert: Optional[PathOrBytes] = None,
    report_data: Optional[BytesLike] = None,
    report_data_sha256: Optional[PathOrBytes] = None,
    now: Optional[Union[int, str]] = None,
    allow_tcb_status: Optional[Union[str, Sequence[str]]] = None,
    deny_advisory: Optional[Union[str, Sequence[str]]] = None,
    skip_quote_signature: bool = False,
    gramine: str = "1.9",
    issuer: Optional[str] = None,
    nonce: Optional[str] = None,
) -> Verdict: ...
