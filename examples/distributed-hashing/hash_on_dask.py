#!/usr/bin/env python3
"""A data owner's dataset hashed on a Dask cluster: one task per shard, each hashing its share
with sgx_measure.hash_files(..., shard=(k, n)), and the shards merged (merge_entries) into
exactly the entries one `sgx-measure hash-files` run would write, byte for byte.

Every worker must see the dataset at the same path (a shared or replicated file system): each
task walks the whole tree, numbers the files in walk order and hashes only its shard (files
k*n_files//n up to (k+1)*n_files//n), exactly as `sgx-measure hash-files --shard k/n` does, so
shards hashed here, by the command on other machines (Kubernetes indexed Jobs, Slurm arrays) or
by both can be merged together. merge_entries refuses shards of different trees (a file added or
removed while the tasks ran), a shard twice or a shard missing.

    hash_on_dask.py /mnt/datasets/owner1 --uri-prefix file:/data/owner1/ --shards 64 \\
        --scheduler tcp://scheduler:8786 -o owner1.toml

Without --scheduler a LocalCluster of --workers processes on this machine runs the tasks.
"""
import argparse
import os
import sys
import time

import sgx_measure


def hash_shard(k, n, paths, uri_prefix):
    """One task: the entries of shard k of n (runs on a worker)."""
    return sgx_measure.hash_files(paths, uri_prefix=uri_prefix, shard=(k, n))


def hash_dataset(client, paths, uri_prefix, shards):
    """The dataset's entries, hashed on the cluster behind `client`."""
    futures = [client.submit(hash_shard, k, shards, paths, uri_prefix, pure=False)
               for k in range(shards)]
    shards = client.gather(futures)
    # Each shard records which files of which tree it holds: merge_entries puts them in order
    # and checks that together they are exactly the tree every task walked.
    return shards, sgx_measure.merge_entries(*shards)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Hash a dataset on Dask; write its entries.")
    ap.add_argument("paths", nargs="+", help="files or directories (as on every worker)")
    ap.add_argument("--uri-prefix", help="URI prefix replacing each argument's own path")
    ap.add_argument("--shards", type=int, default=8, help="number of tasks (default 8)")
    ap.add_argument("--scheduler", help="address of a running scheduler (tcp://host:8786)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    ap.add_argument("--format", default="toml", choices=["toml", "json", "sha256sum", "list"])
    ap.add_argument("--save-shards", metavar="DIR",
                    help="also write each shard file there (part-K; `sgx-measure entries merge`)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    if a.scheduler:
        client, cluster = Client(a.scheduler), None
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        shards, entries = hash_dataset(client, a.paths, a.uri_prefix, a.shards)
    except sgx_measure.Error as e:
        print(f"hash_on_dask: {e} [{e.code}]", file=sys.stderr)
        return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    sgx_measure.write_entries(entries, a.output, format=a.format)
    if a.save_shards:
        os.makedirs(a.save_shards, exist_ok=True)
        for s in shards:
            s.save(os.path.join(a.save_shards, f"part-{s.index}"))
    print(f"{len(entries)} entries from {a.shards} shards in "
          f"{time.perf_counter() - start:.1f} s -> {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
