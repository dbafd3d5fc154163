"""python -m bmm_lab.train refuses bad input before training, with exit status 2 and a message naming the file and
what was expected."""

import argparse
import json
import os
import shutil
import tempfile
import unittest

from support import call_main, clip_arrays, run_config, simple_pack, start_weights, write_pack, write_run

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab import train  # noqa: E402
from bmm_lab.train import TrainError, prepare  # noqa: E402


class Refused(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack = self.path("pack")
        self.out = self.path("out")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def run_train(self, *extra, run=None):
        args = ["--data", self.pack, "--out", self.out, "--workers", "0"]
        if run is not None:
            args = ["--config", run] + args
        return call_main(train.main, args + list(extra))

    def assertRefused(self, pattern, *extra, run=None):
        code, out, err = self.run_train(*extra, run=run)
        self.assertEqual(code, 2, err)
        self.assertEqual(out, "")
        self.assertRegex(err, pattern)
        self.assertFalse(os.path.exists(os.path.join(self.out, "checkpoint.pt")))
        return err

    def test_umt_without_its_teachers_or_with_a_wrong_one(self):
        simple_pack(self.pack)
        run = self.path("run.json")
        write_run(run, method="umt", preset="tiny", width=0.0625, batch=2, epochs=1)
        self.assertRefused(r"method umt needs --teacher-audio A.safetensors and --teacher-visual V.safetensors", run=run)
        other = start_weights(self.path("erm.safetensors"), run_config(method="erm", preset="tiny", width=0.0625))
        self.assertRefused(r"UMT audio teacher .*erm.safetensors: trained with method erm; a teacher is an audio-only run", "--teacher-audio", other, "--teacher-visual", other, run=run)
        erm = self.path("erm-run.json")
        write_run(erm, method="erm", preset="tiny", width=0.0625, batch=2, epochs=1)
        self.assertRefused(r"--teacher-audio and --teacher-visual are for method umt, not erm", "--teacher-audio", other, run=erm)

    def test_a_config_document_of_another_version(self):
        simple_pack(self.pack)
        doc = run_config()
        doc["version"] = 2
        run = self.path("run.json")
        with open(run, "w") as f:
            json.dump(doc, f)
        self.assertRefused(r"error: %s: version 2 is not supported \(this lab reads version 1\)" % run, run=run)

    def test_a_pack_whose_frame_size_differs_from_the_config(self):
        simple_pack(self.pack)  # frames stored at 16 x 16
        run = write_run(self.path("run.json"), visualSize=24)
        self.assertRefused(r"visualSize 24 in %s but shapes.rgb S 16 in %s" % (run, os.path.join(self.pack, "pack.json")), run=run)

    def test_a_pack_whose_spectrogram_size_differs_from_the_config(self):
        arrays = clip_arrays(6, h=20, w=16)
        arrays["split"] = np.array([0, 0, 0, 0, 1, 1], dtype=np.uint8)
        write_pack(self.pack, [(arrays, None)], h=20, w=16)
        run = write_run(self.path("run.json"))  # audioHeight 16
        self.assertRefused(r"audioHeight 16 in %s but shapes.spectrogram H 20 in %s" % (run, os.path.join(self.pack, "pack.json")), run=run)

    def test_start_weights_for_another_number_of_classes(self):
        simple_pack(self.pack)  # 3 classes
        run = write_run(self.path("run.json"))
        weights = start_weights(self.path("two.safetensors"), run_config(), classes=["a", "b"])
        self.assertRefused(r"%s: metadata num_classes is 2, but class_names in %s gives 3" % (weights, os.path.join(self.pack, "pack.json")), "--weights", weights, run=run)

    def test_resuming_on_a_pack_with_other_classes(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"), epochs=1)
        code, _, err = self.run_train(run=run)
        self.assertEqual(code, 0, err)
        arrays = clip_arrays(6)
        arrays["label"] = (np.arange(6) % 2).astype(np.int64)
        arrays["split"] = np.array([0, 0, 0, 0, 1, 1], dtype=np.uint8)
        shutil.rmtree(self.pack)
        write_pack(self.pack, [(arrays, None)], classes=["yes", "no"])
        err = self.run_train("--resume", run=run)[2]
        self.assertRegex(err, r'%s: made for 3 classes \["neutral","happy","sad"\], but %s has 2 classes \["yes","no"\]' % (os.path.join(self.out, "checkpoint.pt"), os.path.join(self.pack, "pack.json")))

    def test_resuming_on_a_pack_with_other_branches(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"), epochs=1)
        code, _, err = self.run_train(run=run)
        self.assertEqual(code, 0, err)
        shutil.rmtree(self.pack)
        simple_pack(self.pack, visual="flow", first="rgb")
        err = self.run_train("--resume", run=run)[2]
        self.assertRegex(err, r'%s: made for branches \["spectrogram","rgb"\], but %s has branches \["rgb","flow"\]' % (os.path.join(self.out, "checkpoint.pt"), os.path.join(self.pack, "pack.json")))

    def test_start_weights_for_other_branches(self):
        simple_pack(self.pack, visual="flow", first="rgb")
        run = write_run(self.path("run.json"))
        weights = start_weights(self.path("spec-flow.safetensors"), run_config(), visual_channels=2)
        self.assertRefused(r'%s: metadata modalities is \["spectrogram","flow"\], but branches in %s gives \["rgb","flow"\]' % (weights, os.path.join(self.pack, "pack.json")), "--weights", weights, run=run)

    def test_resuming_with_another_config(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"), epochs=1)
        self.assertEqual(self.run_train(run=run)[0], 0)
        longer = write_run(self.path("longer.json"), epochs=2)
        self.assertEqual(self.run_train("--resume", run=longer)[0], 0)  # only epochs may change
        other = write_run(self.path("other.json"), epochs=3, lr=0.01)
        code, _, err = self.run_train("--resume", run=other)
        self.assertEqual(code, 2)
        self.assertRegex(
            err, r"%s: made with lr = 0.001, but %s has 0.01 \(a resumed run keeps its config; only epochs may change\)" % (os.path.join(self.out, "checkpoint.pt"), other)
        )

    def test_a_missing_shard(self):
        simple_pack(self.pack)
        os.remove(os.path.join(self.pack, "part-00000.safetensors"))
        run = write_run(self.path("run.json"))
        self.assertRefused(r"%s: listed in pack.json shards\[0\] but cannot be read" % os.path.join(self.pack, "part-00000.safetensors"), run=run)

    def test_resume_without_a_checkpoint(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"))
        os.makedirs(self.out)
        self.assertRefused(r"%s: no checkpoint to resume from" % os.path.join(self.out, "checkpoint.pt"), "--resume", run=run)
        self.assertRefused(r"%s: no checkpoint to resume from" % os.path.join(self.out, "checkpoint.pt"), "--resume")

    def test_a_folder_that_holds_a_run(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"), epochs=1)
        self.assertEqual(self.run_train(run=run)[0], 0)
        self.assertRegex(self.run_train(run=run)[2], r"--out %s already holds a run \(checkpoint.pt, metrics.jsonl\); continue it with --resume" % self.out)

    def test_a_batch_larger_than_the_training_split(self):
        simple_pack(self.pack, n_train=4)
        run = write_run(self.path("run.json"), batch=8)
        self.assertRefused(r"%s: batch 8 is larger than the training set \(4 clips\); use at most 4 \(the pack %s has 4 training clips\)" % (run, os.path.join(self.pack, "pack.json")), run=run)

    def test_micro_batches(self):
        simple_pack(self.pack)
        run = write_run(self.path("run.json"), microBatch=4)
        self.assertRefused(r"%s: microBatch 4: the PyTorch trainer steps on whole batches" % run, run=run)

    def test_gblend_needs_held_out_clips(self):
        simple_pack(self.pack, n_train=6)
        run = write_run(self.path("run.json"), method="gblend")
        self.assertRefused(
            r"%s: method gblend measures its loss weights on validation clips held out of the training split; set valSplit \(e\.g\. 0\.1\)" % run, run=run)
        simple_pack(self.pack, n_train=3)  # one clip per class: none can be held out
        run = write_run(self.path("run.json"), method="gblend", valSplit=0.5)
        self.assertRefused(
            r"%s: method gblend: valSplit 0\.5 holds out no clips of %s \(3 training clips; a class needs at least 2 to give one\); "
            r"G-Blending measures its loss weights on held-out clips: raise valSplit or add clips" % (run, os.path.join(self.pack, "pack.json")), run=run)

    def test_process_checks_count_the_trained_clips(self):
        # 12 clips, 3 held out (valSplit 0.25 of 4 per class): 9 trained in batches of 4 leave 1, which is skipped.
        simple_pack(self.pack, n_train=12)
        args = argparse.Namespace(out=self.out, resume=False, config=write_run(self.path("run.json"), batch=4, valSplit=0.25), augment=None, data=self.pack, weights=None, sync_bn=False)
        self.assertEqual(prepare(args, world=2)[0]["valSplit"], 0.25)
        # 14 clips (5, 5 and 4 per class), valSplit 0.2 holds 1 of each out: 11 trained in batches of 8 leave 3 for 4
        # processes (the whole split's 14 would leave 6).
        simple_pack(self.pack, n_train=14)
        args.sync_bn = True
        args.config = write_run(self.path("run.json"), batch=8)
        self.assertEqual(prepare(args, world=4)[0]["batch"], 8)
        args.config = write_run(self.path("run.json"), batch=8, valSplit=0.2)
        with self.assertRaisesRegex(TrainError, r"an epoch's last batch has 3 clips \(11 training clips left of 14 \(valSplit\) in .*pack.json, batch 8\), fewer than the 4 processes"):
            prepare(args, world=4)

    def test_a_global_batch_that_processes_cannot_share(self):
        simple_pack(self.pack, n_train=10)
        args = argparse.Namespace(out=self.out, resume=False, config=write_run(self.path("run.json"), batch=3), augment=None, data=self.pack, weights=None, sync_bn=False)
        with self.assertRaisesRegex(TrainError, r"run.json: batch 3 is the global batch, split across 2 processes; it must be divisible by 2"):
            prepare(args, world=2)
        args.config = write_run(self.path("run.json"), batch=4)  # 10 clips: a last batch of 2, for 4 processes
        with self.assertRaisesRegex(TrainError, r"an epoch's last batch has 2 clips \(10 training clips in .*pack.json, batch 4\), fewer than the 4 processes"):
            prepare(args, world=4)
        # Without --sync-bn each process normalises its own share: the last batch of 2 is shared 1 + 1.
        with self.assertRaisesRegex(TrainError, r"a process's share of a batch can be 1 clip, which has no batch statistics without --sync-bn"):
            prepare(args, world=2)
        args.sync_bn = True
        self.assertEqual(prepare(args, world=2)[0]["batch"], 4)

    @unittest.skipIf(torch.cuda.is_available(), "a CUDA device is here")
    def test_cuda_without_a_gpu(self):
        simple_pack(self.pack)
        self.assertRefused(r"--device cuda: no CUDA device is available here", "--device", "cuda", run=write_run(self.path("run.json")))


if __name__ == "__main__":
    unittest.main()
