"""Training: data sets from folders, tables and reviews; fine-tuning; honest evaluation.

Public API (stable; the demo and the flows use it)::

    from core.training.config import DatasetConfig, EvaluationConfig, TrainConfig, load_config
    from core.training.examples import Example, examples_from_folders, examples_from_table
    from core.training.dataset import prepare_dataset
    from core.training.datafile import read_datafile, read_labels_csv
    from core.training.trainer import train, TrainResult, TrainProgress
    from core.training.evaluate import evaluate_checkpoint, load_run
    from core.training.report import write_evaluation
    from core.training.compare import write_comparison

    examples = examples_from_folders("clips_by_label/")          # root/<label>/*.wav
    examples += examples_from_table("selections.csv")            # file,start_s,end_s,label[,site]
    ds = prepare_dataset(examples, "data/set1", DatasetConfig())  # -> PreparedDataset
    #   ds.datafiles["train" | "validation" | "test"]: {"data": [{"wav", "labels", ...}]}
    #   ds.labels_csv (index,mid,display_name), ds.summary (clips per label per split, ...)
    result = train(TrainConfig(), ds.datafiles["train"], ds.datafiles["validation"],
                   "runs/set1", progress=callback)               # callback(TrainProgress)
    #   result.checkpoint: model.pth in the original layout ("module." keys), loadable by
    #   core.model.ast.build_model / core.model.detector.build_detector with result.card
    #   (result.card_path: model.yaml beside it); result.history: metrics per epoch.
    #   Calling train() again with the same out_dir resumes after the last finished epoch.
    report = evaluate_checkpoint(result.card, result.checkpoint, ds.datafiles["test"],
                                 config=EvaluationConfig(target_precision=0.9))
    #   report: per clip/label metrics, confusion matrix, presence per recording and
    #   site-night, threshold sweeps, best-F1 and high-precision points, FP and review
    #   minutes per night, every clip's scores
    write_evaluation(report, "runs/set1/eval")   # evaluation.json, report.md, 2 PNGs
    other = evaluate_checkpoint(*load_run("runs/set0"), ds.datafiles["test"])
    write_comparison([report, other], ["set1", "set0"], "runs/compare")

``DatasetConfig``/``TrainConfig`` round-trip to YAML (``save_config``/``load_config``). For a
tiny model from scratch set ``TrainConfig.model`` to ``ASTConfig(size="test", ...)`` with
``frontend.window_s`` equal to the clip length and ``model.input_tdim`` to its frames
(100 per second). Modules: data sets (config, examples, bandpass, clips, splits, datafile,
dataset), training (data, model, schedule, weights, scoring, resume, trainer), evaluation
(metrics, presence, sweep, evaluate, figures, report, compare).
"""
