"""The forked NER child of ``slant score``: same mentions as in-process, spaCy kept out of the
parent, a dead child falls back, and no fork once torch is imported."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from inference import ner_process

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ["Critics called Vladimir Putin a pariah on Monday.", "Kim Jong Un met officials in Seoul.", "No names here."]


def run_python(code: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_child_finds_the_same_mentions_and_spacy_stays_out_of_this_process():
    out = run_python(f"""
import json, sys
from inference import ner_process
ner_process._a_core_is_free = lambda: True  # the fork itself is under test, not this machine's load
started = ner_process.start()
from inference.targets import find_mentions, load_ner
served = find_mentions({SENTENCES!r})
spacy_here = "spacy" in sys.modules
ner_process.stop()
local = find_mentions({SENTENCES!r}, load_ner())
print(json.dumps({{"started": started, "spacy_here": spacy_here, "same": served == local,
                  "texts": [[m.text for m in row] for row in served]}}))
""")
    assert out["started"] and not out["spacy_here"] and out["same"]
    assert "Vladimir Putin" in out["texts"][0] and out["texts"][2] == []


def test_a_dead_child_falls_back_to_spacy_in_this_process():
    out = run_python(f"""
import json
from inference import ner_process
ner_process._a_core_is_free = lambda: True
assert ner_process.start()
process, _ = ner_process._CHILD
process.kill(); process.join()
from inference.targets import find_mentions
rows = find_mentions({SENTENCES!r})
print(json.dumps({{"running": ner_process.running(), "texts": [[m.text for m in row] for row in rows]}}))
""")
    assert not out["running"] and "Vladimir Putin" in out["texts"][0]


def test_no_fork_once_torch_is_imported():
    import torch  # noqa: F401  (the test process has it anyway)

    assert not ner_process.start() and not ner_process.running()


def test_console_score_with_the_child_gives_targets(tiny_stance_model, tmp_path):
    exe = shutil.which("slant") or str(Path(sys.executable).parent / "slant")
    doc = tmp_path / "a.txt"
    doc.write_text("Critics called Vladimir Putin a pariah on Monday. Putin did not reply.\n")
    proc = subprocess.run([exe, "score", str(doc), "--model", str(tiny_stance_model), "--stance-model",
                           str(tiny_stance_model), "--format", "jsonl"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    targets = [t for line in proc.stdout.splitlines() for t in json.loads(line)["targets"]]
    assert {t["entity"] for t in targets} == {"Vladimir Putin"}


def test_a_missing_ner_model_in_the_child_is_the_usual_one_line_error():
    out = run_python(f"""
import json
from inference import ner_process, targets
from models.errors import SlantError
targets.NER_PACKAGE = "no_such_ner_package"  # the child inherits it
ner_process._a_core_is_free = lambda: True
assert ner_process.start()
try:
    targets.find_mentions({SENTENCES!r})
    message = None
except SlantError as e:
    message = str(e)
print(json.dumps({{"message": message}}))
""")
    assert out["message"].startswith("targets need the offline NER model") and "--no-targets" in out["message"]
