"""Publish a built data world to the Hugging Face Hub (one config per task), or write the same layout locally.

DIR is a Hub-layout folder: README.md (card with `configs`) + <task>/<split>-NNNNN-of-NNNNN.parquet, as the builders
and `datasets_build.hub.export.export_to_dir` write it. Examples:

    unipose-bench publish --from out/embedded-world --repo-id my-org/unipose-bench-embedded
    unipose-bench publish --from out/embedded-world --to-dir /tmp/hub-copy

A push records the repo's commit sha in benchmark/tasks/revisions.json, which the task specs pin. The token comes
from --token, $HF_TOKEN or `hf auth login`. Offline, use --to-dir.
"""

from __future__ import annotations


def add_arguments(parser):
    parser.add_argument("--from", dest="from_dir", required=True, metavar="DIR",
                        help="Hub-layout folder to publish (README.md + <task>/<split>-*.parquet)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--repo-id", metavar="ORG/NAME", help="Hub dataset repo to push every task config to")
    parser.add_argument("--as", dest="logical_name", default=None, metavar="NAME",
                        help="the dataset the task specs know this as (e.g. unipose-bench/posescript; see "
                             "`unipose-bench ls tasks`), recorded with the pushed revision (default: --repo-id)")
    target.add_argument("--to-dir", metavar="OUT", help="write the identical layout to this local folder instead")
    parser.add_argument("--max-shard-size", default="500MB", help="largest parquet shard (default: 500MB)")
    parser.add_argument("--private", action="store_true", help="create the repo as private if it does not exist")
    parser.add_argument("--token", default=None, help="Hub token (default: $HF_TOKEN or the stored login)")
    parser.add_argument("--commit-message", default=None, help="message of the push commits")
    parser.add_argument("--revisions-file", default=None,
                        help="where to record the pushed revision (default: benchmark/tasks/revisions.json)")
    parser.add_argument("--overwrite", action="store_true", help="with --to-dir: replace an existing OUT")


def run(args) -> int:
    from benchmark.errors import InputError
    from datasets_build.hub.publish import copy_layout, publish

    if args.to_dir:
        if args.logical_name:
            raise InputError("--as names what a Hub push is recorded as; a --to-dir copy records nothing",
                             field="--as", hint="drop --as, or publish with --repo-id")
        out = copy_layout(args.from_dir, args.to_dir, max_shard_size=args.max_shard_size, overwrite=args.overwrite)
        print(f"wrote the Hub layout of {args.from_dir} to {out}")
        return 0
    entry = publish(args.from_dir, args.repo_id, token=args.token, private=True if args.private else None,
                    max_shard_size=args.max_shard_size, commit_message=args.commit_message,
                    revisions_file=args.revisions_file, name=args.logical_name)
    print(f"published {len(entry['configs'])} configs ({', '.join(entry['configs'])}) to {args.repo_id} "
          f"at revision {entry['revision']}, recorded as {args.logical_name or args.repo_id}")
    return 0
