#!/usr/bin/env python3
"""Generate benchmarks/mle-bench/ (competitions.yaml, splits/, leaderboards/) from the
MLE-bench reference data in shared/mlebench-data.

The metric of each competition is not in MLE-bench's config.yaml (its `grader.name` is a
free-text label, wrong for a few competitions), so it is written down below, from the
per-competition table in shared/reference/mlebench.md §8.2 and the competitions' grade.py.
`metric` is a MetricKind name when the score is that standard metric over the submission's
columns, else `external` (graded by MLE-bench's own grade function).

Usage: scripts/gen_mlebench_meta.py [--data /work/shared/mlebench-data] [--out benchmarks/mle-bench]
"""

import argparse
import csv
import shutil
from pathlib import Path

import yaml

# id -> (metric, description, k for map_at_k or None, lower_is_better)
METRICS = {
    "3d-object-detection-for-autonomous-vehicles": ("external", "3D box mAP over IoU thresholds (Lyft; pyquaternion+shapely)", None, False),
    "AI4Code": ("external", "Kendall tau of cell order (inversion count)", None, False),
    "aerial-cactus-identification": ("roc_auc", "ROC AUC (binary)", None, False),
    "alaska2-image-steganalysis": ("external", "weighted AUC (TPR-band weights)", None, False),
    "aptos2019-blindness-detection": ("qwk", "quadratic weighted kappa", None, False),
    "billion-word-imputation": ("external", "mean Levenshtein distance", None, True),
    "bms-molecular-translation": ("external", "mean Levenshtein distance (InChI)", None, True),
    "cassava-leaf-disease-classification": ("accuracy", "accuracy", None, False),
    "cdiscount-image-classification-challenge": ("accuracy", "accuracy", None, False),
    "chaii-hindi-and-tamil-question-answering": ("external", "word-level Jaccard (sklearn samples average)", None, False),
    "champs-scalar-coupling": ("external", "mean over coupling types of log(MAE)", None, True),
    "denoising-dirty-documents": ("rmse", "RMSE over pixels", None, True),
    "detecting-insults-in-social-commentary": ("roc_auc", "ROC AUC (binary)", None, False),
    "dog-breed-identification": ("log_loss", "multiclass log loss (rows must sum to 1)", None, True),
    "dogs-vs-cats-redux-kernels-edition": ("log_loss", "binary log loss (one probability column)", None, True),
    "facebook-recruiting-iii-keyword-extraction": ("f1_micro", "micro F1 over space-separated tags (multilabel)", None, False),
    "freesound-audio-tagging-2019": ("external", "label-weighted label-ranking average precision (lwlrap)", None, False),
    "google-quest-challenge": ("external", "mean column-wise Spearman correlation", None, False),
    "google-research-identify-contrails-reduce-global-warming": ("external", "global Dice over RLE masks", None, False),
    "h-and-m-personalized-fashion-recommendations": ("map_at_k", "MAP@12 over space-separated article ids", 12, False),
    "herbarium-2020-fgvc7": ("f1_macro", "macro F1", None, False),
    "herbarium-2021-fgvc8": ("f1_macro", "macro F1", None, False),
    "herbarium-2022-fgvc9": ("f1_macro", "macro F1", None, False),
    "histopathologic-cancer-detection": ("roc_auc", "ROC AUC (binary)", None, False),
    "hms-harmful-brain-activity-classification": ("external", "KL divergence (Kaggle implementation)", None, True),
    "hotel-id-2021-fgvc8": ("map_at_k", "MAP@5", 5, False),
    "hubmap-kidney-segmentation": ("external", "mean Dice over RLE masks", None, False),
    "icecube-neutrinos-in-deep-ice": ("external", "mean angular error", None, True),
    "imet-2020-fgvc7": ("f1_micro", "micro F1 over space-separated attribute ids (multilabel)", None, False),
    "inaturalist-2019-fgvc6": ("external", "top-1 classification error (1 - accuracy)", None, True),
    "invasive-species-monitoring": ("roc_auc", "ROC AUC (binary)", None, False),
    "iwildcam-2019-fgvc6": ("f1_macro", "macro F1", None, False),
    "iwildcam-2020-fgvc7": ("accuracy", "accuracy", None, False),
    "jigsaw-toxic-comment-classification-challenge": ("mean_column_roc_auc", "mean column-wise ROC AUC (6 labels; rows labelled -1 are skipped)", None, False),
    "jigsaw-unintended-bias-in-toxicity-classification": ("external", "bias AUC (power mean of subgroup AUCs and overall AUC)", None, False),
    "kuzushiji-recognition": ("external", "F1 with point-in-box matching", None, False),
    "leaf-classification": ("log_loss", "multiclass log loss (rows must sum to 1)", None, True),
    "learning-agency-lab-automated-essay-scoring-2": ("qwk", "quadratic weighted kappa", None, False),
    "lmsys-chatbot-arena": ("log_loss", "multiclass log loss (rows must sum to 1)", None, True),
    "ml2021spring-hw2": ("accuracy", "accuracy", None, False),
    "mlsp-2013-birds": ("roc_auc", "ROC AUC over flattened (recording, species) rows", None, False),
    "movie-review-sentiment-analysis-kernels-only": ("accuracy", "accuracy", None, False),
    "multi-modal-gesture-recognition": ("external", "sum of Levenshtein distances / total gestures", None, True),
    "new-york-city-taxi-fare-prediction": ("rmse", "RMSE", None, True),
    "nfl-player-contact-detection": ("mcc", "Matthews correlation coefficient", None, False),
    "nomad2018-predict-transparent-conductors": ("rmsle", "mean of the RMSLEs of 2 target columns", None, True),
    "osic-pulmonary-fibrosis-progression": ("external", "modified Laplace log-likelihood", None, False),
    "paddy-disease-classification": ("accuracy", "accuracy", None, False),
    "petfinder-pawpularity-score": ("rmse", "RMSE", None, True),
    "plant-pathology-2020-fgvc7": ("mean_column_roc_auc", "mean column-wise ROC AUC", None, False),
    "plant-pathology-2021-fgvc8": ("f1_micro", "micro F1 over space-separated labels (multilabel)", None, False),
    "plant-seedlings-classification": ("f1_micro", "micro F1 (multiclass)", None, False),
    "playground-series-s3e18": ("mean_column_roc_auc", "mean ROC AUC over 2 targets", None, False),
    "predict-volcanic-eruptions-ingv-oe": ("mae", "MAE, rounded to an integer by the grader", None, True),
    "random-acts-of-pizza": ("roc_auc", "ROC AUC (binary)", None, False),
    "ranzcr-clip-catheter-line-classification": ("mean_column_roc_auc", "mean column-wise ROC AUC", None, False),
    "rsna-2022-cervical-spine-fracture-detection": ("external", "weighted multi-label log loss", None, True),
    "rsna-breast-cancer-detection": ("external", "probabilistic F1", None, False),
    "rsna-miccai-brain-tumor-radiogenomic-classification": ("roc_auc", "ROC AUC (binary)", None, False),
    "seti-breakthrough-listen": ("roc_auc", "ROC AUC (binary)", None, False),
    "siim-covid19-detection": ("external", "mAP at IoU 0.5 (boxes, sklearn AP)", None, False),
    "siim-isic-melanoma-classification": ("roc_auc", "ROC AUC (binary)", None, False),
    "smartphone-decimeter-2022": ("external", "haversine distance: mean over phones of (p50 + p95) / 2", None, True),
    "spaceship-titanic": ("accuracy", "accuracy", None, False),
    "spooky-author-identification": ("log_loss", "multiclass log loss (rows must sum to 1)", None, True),
    "stanford-covid-vaccine": ("external", "MCRMSE (mean column-wise RMSE over scored positions)", None, True),
    "statoil-iceberg-classifier-challenge": ("log_loss", "binary log loss (one probability column)", None, True),
    "tabular-playground-series-dec-2021": ("accuracy", "accuracy", None, False),
    "tabular-playground-series-may-2022": ("roc_auc", "ROC AUC (binary)", None, False),
    "tensorflow-speech-recognition-challenge": ("accuracy", "accuracy", None, False),
    "tensorflow2-question-answering": ("external", "micro F1 over long and short answers (JSONL answers)", None, False),
    "text-normalization-challenge-english-language": ("accuracy", "accuracy of normalised tokens", None, False),
    "text-normalization-challenge-russian-language": ("accuracy", "accuracy of normalised tokens", None, False),
    "tgs-salt-identification-challenge": ("external", "mean precision over IoU thresholds 0.5..0.95", None, False),
    "the-icml-2013-whale-challenge-right-whale-redux": ("roc_auc", "ROC AUC (binary)", None, False),
    "tweet-sentiment-extraction": ("external", "mean word-level Jaccard", None, False),
    "us-patent-phrase-to-phrase-matching": ("external", "Pearson correlation", None, False),
    "uw-madison-gi-tract-image-segmentation": ("external", "0.4 * Dice + 0.6 * (1 - Hausdorff)", None, False),
    # MAE, but only over rows whose answer has u_out == 0 (the inspiratory phase).
    "ventilator-pressure-prediction": ("external", "MAE over inspiratory-phase rows (u_out == 0)", None, True),
    "vesuvius-challenge-ink-detection": ("external", "F0.5 over pixels, mean per fragment", None, False),
    "vinbigdata-chest-xray-abnormalities-detection": ("external", "COCO mAP at IoU 0.4 (pycocotools)", None, False),
    "whale-categorization-playground": ("map_at_k", "MAP@5", 5, False),
}

# Submission columns of the natively graded competitions, from their grade.py:
# id -> (id column, target columns (empty: every answers column but the id), multilabel).
# multilabel: each target cell is a space-separated set of labels.
COLUMNS = {
    "aerial-cactus-identification": ("id", ["has_cactus"], False),
    "aptos2019-blindness-detection": ("id_code", ["diagnosis"], False),
    "cassava-leaf-disease-classification": ("image_id", ["label"], False),
    "cdiscount-image-classification-challenge": ("_id", ["category_id"], False),
    "denoising-dirty-documents": ("id", ["value"], False),
    "detecting-insults-in-social-commentary": ("Comment", ["Insult"], False),
    "dog-breed-identification": ("id", [], False),
    "dogs-vs-cats-redux-kernels-edition": ("id", ["label"], False),
    "facebook-recruiting-iii-keyword-extraction": ("Id", ["Tags"], True),
    "h-and-m-personalized-fashion-recommendations": ("customer_id", ["prediction"], False),
    # grade.py of the 2020 edition is not in the reference snapshot; 2021 and 2022 use these.
    "herbarium-2020-fgvc7": ("Id", ["Predicted"], False),
    "herbarium-2021-fgvc8": ("Id", ["Predicted"], False),
    "herbarium-2022-fgvc9": ("Id", ["Predicted"], False),
    "histopathologic-cancer-detection": ("id", ["label"], False),
    "hotel-id-2021-fgvc8": ("image", ["hotel_id"], False),
    "imet-2020-fgvc7": ("id", ["attribute_ids"], True),
    "invasive-species-monitoring": ("name", ["invasive"], False),
    "iwildcam-2019-fgvc6": ("Id", ["Category"], False),
    "iwildcam-2020-fgvc7": ("Id", ["Category"], False),
    "jigsaw-toxic-comment-classification-challenge": (
        "id", ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"], False),
    "leaf-classification": ("id", [], False),
    "learning-agency-lab-automated-essay-scoring-2": ("essay_id", ["score"], False),
    "lmsys-chatbot-arena": ("id", ["winner_model_a", "winner_model_b", "winner_tie"], False),
    "ml2021spring-hw2": ("Id", ["ClassId"], False),
    "mlsp-2013-birds": ("Id", ["Probability"], False),
    "movie-review-sentiment-analysis-kernels-only": ("PhraseId", ["Sentiment"], False),
    "new-york-city-taxi-fare-prediction": ("key", ["fare_amount"], False),
    "nfl-player-contact-detection": ("contact_id", ["contact"], False),
    "nomad2018-predict-transparent-conductors": (
        "id", ["formation_energy_ev_natom", "bandgap_energy_ev"], False),
    "paddy-disease-classification": ("image_id", ["label"], False),
    "petfinder-pawpularity-score": ("Id", ["Pawpularity"], False),
    "plant-pathology-2020-fgvc7": ("image_id", ["healthy", "multiple_diseases", "rust", "scab"], False),
    "plant-pathology-2021-fgvc8": ("image", ["labels"], True),
    "plant-seedlings-classification": ("file", ["species"], False),
    "playground-series-s3e18": ("id", ["EC1", "EC2"], False),
    "predict-volcanic-eruptions-ingv-oe": ("segment_id", ["time_to_eruption"], False),
    "random-acts-of-pizza": ("request_id", ["requester_received_pizza"], False),
    "ranzcr-clip-catheter-line-classification": ("StudyInstanceUID", [
        "ETT - Abnormal", "ETT - Borderline", "ETT - Normal", "NGT - Abnormal", "NGT - Borderline",
        "NGT - Incompletely Imaged", "NGT - Normal", "CVC - Abnormal", "CVC - Borderline",
        "CVC - Normal", "Swan Ganz Catheter Present"], False),
    "rsna-miccai-brain-tumor-radiogenomic-classification": ("BraTS21ID", ["MGMT_value"], False),
    "seti-breakthrough-listen": ("id", ["target"], False),
    "siim-isic-melanoma-classification": ("image_name", ["target"], False),
    "spaceship-titanic": ("PassengerId", ["Transported"], False),
    "spooky-author-identification": ("id", ["EAP", "HPL", "MWS"], False),
    "statoil-iceberg-classifier-challenge": ("id", ["is_iceberg"], False),
    "tabular-playground-series-dec-2021": ("Id", ["Cover_Type"], False),
    "tabular-playground-series-may-2022": ("id", ["target"], False),
    "tensorflow-speech-recognition-challenge": ("fname", ["label"], False),
    "text-normalization-challenge-english-language": ("id", ["after"], False),
    "text-normalization-challenge-russian-language": ("id", ["after"], False),
    "the-icml-2013-whale-challenge-right-whale-redux": ("clip", ["probability"], False),
    "whale-categorization-playground": ("Image", ["Id"], False),
}

# Its only available leaderboard copy is a placeholder (see shared/mlebench-data/README.md).
NO_LEADERBOARD = {"ventilator-pressure-prediction"}

# MLE-bench's split files, renamed where our name differs.
SPLITS = {
    "low": "low.txt",
    "medium": "medium.txt",
    "high": "high.txt",
    "all": "split75.txt",
    "dev": "dev.txt",
    "systemcard": "systemcard.txt",
    "spaceship-titanic": "spaceship-titanic.txt",
}
COMPLEXITY = ["low", "medium", "high", "dev"]

HEADER = """\
# MLE-bench competitions: the 75 benchmark competitions and the 7 dev ones.
# Generated by scripts/gen_mlebench_meta.py from shared/mlebench-data (openai/mle-bench
# 783b15a); edit the script, not this file.
#
# split:             complexity split (low = MLE-bench Lite, medium, high; dev = not scored)
# metric:            MetricKind name, or `external` when no native metric fits
# metric_k:          k of map_at_k
# lower_is_better:   direction; agrees with the leaderboard's first vs last row
# grader:            `native` (graded in Rust with `metric`) or `{external: [argv...]}`, a
#                    command in which {submission} and {data_dir} are filled in by the grader
# id_column, target_columns: submission columns of natively graded competitions; no
#                    target_columns means every answers column but the id
# multilabel:        each target cell is a space-separated set of labels
# grade_fn:          MLE-bench's grade function (module:function), for reference
# grader_label:      MLE-bench's free-text `grader.name`; wrong for some, never used for logic
# answers, sample_submission, gold_submission: paths relative to a prepared data root
# leaderboard_teams: rows of leaderboards/<id>.csv; null when no verified leaderboard exists
"""


def read_split(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def leaderboard_scores(path: Path) -> list[float]:
    with path.open(newline="") as f:
        return [float(row["score"]) for row in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/mlebench-data"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/mle-bench"))
    args = parser.parse_args()
    data, out = args.data, args.out

    (out / "splits").mkdir(parents=True, exist_ok=True)
    for name, source in SPLITS.items():
        shutil.copyfile(data / "splits" / source, out / "splits" / f"{name}.txt")

    complexity = {}
    for split in COMPLEXITY:
        for cid in read_split(data / "splits" / SPLITS[split]):
            complexity[cid] = split

    configs = sorted((data / "configs").glob("*.yaml"), key=lambda p: p.stem)
    assert {p.stem for p in configs} == set(METRICS) == set(complexity), "id sets differ"
    native = {cid for cid, (metric, *_) in METRICS.items() if metric != "external"}
    assert native == set(COLUMNS), f"columns differ from native metrics: {native ^ set(COLUMNS)}"

    (out / "leaderboards").mkdir(exist_ok=True)
    entries = []
    for path in configs:
        cfg = yaml.safe_load(path.read_text())
        cid = cfg["id"]
        assert cid == path.stem, path
        metric, description, k, lower = METRICS[cid]

        teams = None
        if cid not in NO_LEADERBOARD:
            board = data / "leaderboards" / f"{cid}.csv"
            shutil.copyfile(board, out / "leaderboards" / f"{cid}.csv")
            scores = leaderboard_scores(board)
            teams = len(scores)
            assert (scores[0] < scores[-1]) == lower, f"{cid}: direction disagrees with leaderboard"

        entry = {
            "id": cid,
            "name": cfg["name"],
            "split": complexity[cid],
            "metric": metric,
        }
        if k is not None:
            entry["metric_k"] = k
        entry["metric_description"] = description
        entry["lower_is_better"] = lower
        if metric == "external":
            entry["grader"] = {
                "external": ["mlebench", "grade-sample", "{submission}", cid, "--data-dir", "{data_dir}"]
            }
        else:
            entry["grader"] = "native"
            id_column, targets, multilabel = COLUMNS[cid]
            entry["id_column"] = id_column
            if targets:
                entry["target_columns"] = targets
            if multilabel:
                entry["multilabel"] = True
        entry["grade_fn"] = cfg["grader"]["grade_fn"]
        entry["grader_label"] = cfg["grader"]["name"]
        entry["answers"] = cfg["dataset"]["answers"]
        entry["sample_submission"] = cfg["dataset"]["sample_submission"]
        if "gold_submission" in cfg["dataset"]:
            entry["gold_submission"] = cfg["dataset"]["gold_submission"]
        entry["leaderboard_teams"] = teams
        entries.append(entry)

    lines = [HEADER, "competitions:"]
    for entry in entries:
        if entry["id"] in NO_LEADERBOARD:
            lines.append("  # No leaderboard: MLE-bench's only copy is a 338-byte placeholder, so")
            lines.append("  # medals and percentiles cannot be computed for this competition.")
        body = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None)
        lines.extend("  " + line for line in body.splitlines())
    (out / "competitions.yaml").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(entries)} competitions, {len(SPLITS)} splits to {out}")


if __name__ == "__main__":
    main()
