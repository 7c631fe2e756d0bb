"""tools/deep3d_farm: planning, timestamps, commands and markers (no ffmpeg, no Slurm; the end
to end test with both is tests/farm/test_farm.py, `make check-farm`)."""

from __future__ import annotations

import heapq
import json
import os
import stat
import sys
import tempfile
import unittest
from fractions import Fraction

import naive

sys.path.insert(0, str(naive.TOOLS_DIR))
from deep3d_farm import filteropts, gnuparallel, join, plan, planjob, segment, slurm  # noqa: E402
from deep3d_farm.jobspec import Job, load  # noqa: E402
from deep3d_farm.media import MediaError, VideoIndex, index_from_probe  # noqa: E402


def fifo_makespan(lengths: list[float], slots: int, warmup: float = 0) -> float:
    """An independent model of a FIFO scheduler: each task in order goes to the first free slot;
    every task but the first also converts `warmup` frames."""
    free = [0.0] * slots
    for i, frames in enumerate(lengths):
        length = frames + (warmup if i else 0)
        t = heapq.heappop(free)
        heapq.heappush(free, t + length)
    return max(free)


def cfr_index(frames: int, num: int = 1001, den: int = 30000, keys: int = 50) -> VideoIndex:
    step = Fraction(num, den)
    return VideoIndex(pts=tuple(Fraction(1, 2) + i * step for i in range(frames)),
                      keyframes=frozenset(range(0, frames, keys)), start_time=Fraction(1, 2),
                      width=64, height=32, codec="h264")


def make_job(workdir: str, **kw) -> Job:
    args = dict(source="/in/film.mkv", output=os.path.join(workdir, "out.mkv"), workdir=workdir,
                ffmpeg="/opt/ff/ffmpeg", ffprobe="/opt/ff/ffprobe", filter_options="mode=sbs",
                stereo_mode="left_right", video_codec=["-c:v", "ffv1"], segment_format="matroska",
                source_frames=300, source_start="1/2", video_start="1/2", fps=29.97)
    args.update(kw)
    job = Job(**args)
    job.segments = planjob.segments(cfr_index(300), 3, 3, 40, [])
    return job


class PlanTest(unittest.TestCase):
    def test_lanes_end_together_under_fifo(self) -> None:
        for segments in range(1, 13):
            for slots in range(1, 6):
                for warmup in (0, 25):
                    with self.subTest(segments=segments, slots=slots, warmup=warmup):
                        lengths = plan.lane_lengths(1200, segments, slots, warmup)
                        self.assertEqual(len(lengths), segments)
                        self.assertAlmostEqual(sum(lengths), 1200)
                        work = 1200 + warmup * (segments - 1)
                        self.assertAlmostEqual(fifo_makespan(lengths, slots, warmup), work / min(slots, segments))

    def test_three_on_two_is_quarter_half_quarter(self) -> None:
        self.assertEqual(plan.lane_lengths(400, 3, 2), [100, 200, 100])
        # with warm-up: 476 frames, 75 warm-up: each worker converts 313 frames
        self.assertEqual(plan.lane_lengths(476, 3, 2, 75), [156.5, 238, 81.5])
        # equal thirds would leave a worker idle: makespan 2/3 instead of 1/2
        self.assertAlmostEqual(fifo_makespan([400 / 3] * 3, 2), 800 / 3)

    def test_bad_counts(self) -> None:
        with self.assertRaises(plan.PlanError):
            plan.lane_lengths(2, 3, 1)
        with self.assertRaises(plan.PlanError):
            plan.lane_lengths(100, 0, 1)
        with self.assertRaisesRegex(plan.PlanError, "warm-up leaves no frames"):
            plan.lane_lengths(100, 4, 1, 120)

    def test_snap_prefers_cut_then_keyframe(self) -> None:
        self.assertEqual(plan.snap(100, [95, 130], [98, 100], 10, 1, 299), plan.Boundary(95, "cut"))
        self.assertEqual(plan.snap(100, [130], [98, 103], 10, 1, 299), plan.Boundary(98, "keyframe"))
        self.assertEqual(plan.snap(100.4, [130], [150], 10, 1, 299), plan.Boundary(100, "frame"))
        # a cut outside the bounds is not taken; an ideal outside them is clamped
        self.assertEqual(plan.snap(100, [95], [], 10, 97, 299), plan.Boundary(100, "frame"))
        self.assertEqual(plan.snap(90, [], [], 10, 97, 299), plan.Boundary(97, "frame"))

    def test_boundaries_never_leave_an_empty_segment(self) -> None:
        # every ideal boundary near the same cut: each later one must move on
        b = plan.boundaries(10, [3, 0.1, 0.1, 6.8], [3], [], 5)
        frames = [x.frame for x in b]
        self.assertEqual(frames, sorted(set(frames)))
        self.assertEqual(frames[0], 0)
        self.assertLess(frames[-1], 10)

    def test_given_starts(self) -> None:
        self.assertEqual(plan.given(300, [100, 190, 250], [190], [100]),
                         [plan.Boundary(0, "start"), plan.Boundary(100, "keyframe"), plan.Boundary(190, "cut"),
                          plan.Boundary(250, "frame")])
        for bad in ([190, 100], [0, 100], [100, 300], [100, 100]):
            with self.assertRaises(plan.PlanError):
                plan.given(300, bad, [], [])

    def test_scene_cuts(self) -> None:
        self.assertEqual(plan.scene_cuts([1.0, 25.0, 3.0, 20.0, 20.5], 20), [2, 5])


class FilterOptionsTest(unittest.TestCase):
    def test_parse_and_stereo_mode(self) -> None:
        self.assertEqual(filteropts.parse("mode=hsbs:strength=1.5"), {"mode": "hsbs", "strength": "1.5"})
        self.assertEqual(filteropts.stereo_mode({}), "left_right")
        self.assertEqual(filteropts.stereo_mode({"mode": "tb2r"}), "bottom_top")
        self.assertEqual(filteropts.stereo_mode({"mode": "arcd"}), "anaglyph_cyan_red")
        for bad in ("mode", "mode=sbs:mode=tb", "=3"):
            with self.assertRaises(filteropts.FilterOptionError):
                filteropts.parse(bad)
        with self.assertRaises(filteropts.FilterOptionError):
            filteropts.stereo_mode({"mode": "3d"})

    def test_warmup_covers_the_longest_time_constant(self) -> None:
        self.assertEqual(filteropts.warmup_frames({}, 25, 3), 75)  # 3 s > 6 x 8 frames
        self.assertEqual(filteropts.warmup_frames({"smooth": "40"}, 25, 3), 240)
        # conv_smooth counts only with convergence=auto
        self.assertEqual(filteropts.warmup_frames({"conv_smooth": "100"}, 25, 0), 48)
        self.assertEqual(filteropts.warmup_frames({"convergence": "auto", "conv_smooth": "100"}, 25, 0), 600)
        with self.assertRaises(filteropts.FilterOptionError):
            filteropts.warmup_frames({"smooth": "nan"}, 25, 3)


class TimestampTest(unittest.TestCase):
    def test_segments_tile_the_film_with_midpoint_trims(self) -> None:
        index = cfr_index(300)
        segs = planjob.segments(index, 3, 2, 40, [])
        # lanes of (300 + 2 x 40) / 2 = 190 frames of work: ideal lengths [95, 150, 55], whose
        # boundaries (95, 245) move to the keyframes 100 and 250 (within 10 frames)
        self.assertEqual([(s.start, s.end, s.kind) for s in segs],
                         [(0, 100, "start"), (100, 250, "keyframe"), (250, 300, "keyframe")])
        self.assertEqual(segs[0].kind, "start")
        step = Fraction(1001, 30000)
        for s in segs[1:]:
            mid = index.pts[s.start] - step / 2
            self.assertEqual(s.trim_start, planjob.seconds(mid))
            self.assertEqual(s.warm_start, s.start - 40)
            self.assertEqual(s.trim_warm, planjob.seconds(index.pts[s.warm_start] - step / 2))
            # the seek is relative to the file's start, a second before the warm-up
            self.assertEqual(Fraction(s.seek), Fraction(s.trim_warm) - index.start_time - 1)
        for a, b in zip(segs, segs[1:]):
            self.assertEqual(a.trim_end, b.trim_start)
            self.assertEqual(a.duration, planjob.seconds(index.pts[b.start] - index.pts[a.start]))
        self.assertEqual((segs[-1].trim_end, segs[-1].duration, segs[0].seek, segs[0].trim_warm), ("", "", "", ""))

    def test_seconds_is_exact_to_the_nanosecond(self) -> None:
        self.assertEqual(planjob.seconds(Fraction(1001, 60000)), "0.016683333")
        self.assertEqual(planjob.seconds(Fraction(-3, 2)), "-1.500000000")

    def test_index_from_probe_reorders_and_refuses_missing_pts(self) -> None:
        probe = {"streams": [{"time_base": "1/90000", "width": 8, "height": 8, "codec_name": "h264"}],
                 "format": {"start_time": "1.400000"},
                 "packets": [{"pts": "126000", "flags": "K__"}, {"pts": "135000", "flags": "___"},
                             {"pts": "129000", "flags": "___"}, {"pts": "132000", "flags": "___"}]}
        idx = index_from_probe(probe)
        self.assertEqual(idx.pts, tuple(Fraction(p, 90000) for p in (126000, 129000, 132000, 135000)))
        self.assertEqual(idx.keyframes, frozenset({0}))
        self.assertEqual(idx.start_time, Fraction(7, 5))
        self.assertEqual(idx.frame_duration(), Fraction(1, 30))
        del probe["packets"][2]["pts"]
        with self.assertRaisesRegex(MediaError, "1 of 4 video packets have no timestamp"):
            index_from_probe(probe)
        with self.assertRaisesRegex(MediaError, "no video stream"):
            index_from_probe({"streams": []})


class CommandTest(unittest.TestCase):
    def test_segment_command(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            job = make_job(d)
            seg = job.segments[1]
            cmd = segment.command(job, seg, "/o.part", threads=4)
            self.assertEqual(cmd[cmd.index("-ss") + 1], seg.seek)
            self.assertLess(cmd.index("-copyts"), cmd.index("-i"))
            self.assertEqual(cmd[cmd.index("-filter_threads") + 1], "1")  # job.threads, not the CPUs
            self.assertEqual(cmd[cmd.index("-threads") + 1], "4")
            self.assertEqual(cmd[cmd.index("-vf") + 1],
                             f"trim=start={seg.trim_warm},deep3d=mode=sbs,"
                             f"trim=start={seg.trim_start}:end={seg.trim_end},setpts=PTS-STARTPTS")
            self.assertNotIn("-init_hw_device", cmd)
            first = segment.command(job, job.segments[0], "/o.part", 1)
            self.assertNotIn("-ss", first)
            self.assertTrue(first[first.index("-vf") + 1].startswith("deep3d=mode=sbs,trim=end="))

    def test_cuda_segment_uses_the_assigned_gpu(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            job = make_job(d, device="cuda", hwaccel=True, gpus=["2", "5"])
            cmd = segment.command(job, job.segments[2], "/o.part", 1)
            self.assertEqual(cmd[cmd.index("-init_hw_device") + 1], "cuda=gpu:0")
            self.assertEqual(cmd[cmd.index("-hwaccel_output_format") + 1], "cuda")
            graph = cmd[cmd.index("-vf") + 1]
            self.assertIn("deep3d=mode=sbs:device=cuda", graph)
            self.assertTrue(graph.endswith("hwdownload,format=nv12|p010le"))  # libx264-style encoder
            self.assertEqual(segment.gpu_for_slot(job, 2), "5")
            with self.assertRaises(SystemExit):
                segment.gpu_for_slot(job, 3)
            job.video_codec = ["-c:v", "h264_nvenc"]
            self.assertNotIn("hwdownload", segment.filter_graph(job, job.segments[2]))

    def test_concat_list_and_join_command(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            job = make_job(os.path.join(d, "it's"))
            text = join.concat_list(job)
            self.assertTrue(text.startswith("ffconcat version 1.0\n"))
            self.assertIn("it'\\''s/segments/seg-00000.mkv'", text)
            self.assertEqual(text.count("duration "), 2)
            streams = [{"index": 0, "codec_type": "audio"}, {"index": 1, "codec_type": "video"},
                       {"index": 2, "codec_type": "subtitle"}]
            cmd = join.command(job, "/l.ffconcat", "/o.part", streams)
            self.assertEqual(cmd[cmd.index("-itsoffset") + 1], "0.500000000")
            self.assertIn("stereo_mode=left_right", cmd)
            pairs = [(cmd[i], cmd[i + 1]) for i, a in enumerate(cmd) if a.startswith("-map_metadata:s:")]
            self.assertEqual(pairs, [("-map_metadata:s:0", "1:s:1"), ("-map_metadata:s:1", "1:s:0"),
                                     ("-map_metadata:s:2", "1:s:2")])
            job.output = "/x/out.avi"
            with self.assertRaises(join.JoinError):
                join.command(job, "/l", "/o", streams)

    def test_engines(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            job = make_job(d, gpus=["0", "1"])
            self.assertEqual(slurm.array_spec([1, 4], 0), "1,4")
            self.assertEqual(slurm.array_spec([0, 1, 2], 2), "0,1,2%2")
            args = slurm.segment_args(job, slurm.Options(gpus_per_task=1, extra=["--partition=gpu"]), [0, 2], "/s")
            self.assertIn("--array=0,2", args)
            self.assertIn("--gres=gpu:1", args)
            self.assertEqual(args[-2:], ["--partition=gpu", "/s"])
            self.assertIn("--dependency=afterok:77", slurm.join_args(job, slurm.Options(), "77", "/j"))
            self.assertFalse(any(a.startswith("--dependency") for a in slurm.join_args(job, slurm.Options(), None, "/j")))
            os.makedirs(d, exist_ok=True)
            script = slurm.write_script(job, "s.sbatch", ["/usr/bin/python3", "/a b/farm", "segment"],
                                        ' --index "$SLURM_ARRAY_TASK_ID"')
            with open(script) as f:
                self.assertEqual(f.read().splitlines()[-1],
                                 "exec /usr/bin/python3 '/a b/farm' segment --index \"$SLURM_ARRAY_TASK_ID\"")
            cmd = gnuparallel.command(job, ["farm"], 2, 1, 3, [0, 2])
            self.assertEqual(cmd[-3:], [":::", "0", "2"])
            self.assertIn("{%}", cmd)
            self.assertEqual(cmd[cmd.index("--retries") + 1], "2")


class MarkerTest(unittest.TestCase):
    def test_done_needs_matching_plan_hash_and_count(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            probe = os.path.join(d, "ffprobe")
            job = make_job(os.path.join(d, "w"), ffprobe=probe)
            job.save()
            job = load(job.workdir)
            seg = job.segments[0]
            # a stand-in ffprobe that reports the planned packet count of segment 0
            with open(probe, "w") as f:
                f.write('#!/bin/sh\necho \'{"streams": [{"nb_read_packets": "%d"}]}\'\n' % seg.frames)
            os.chmod(probe, stat.S_IRWXU)
            os.makedirs(job.path("segments"))
            with open(job.segment_file(0), "wb") as f:
                f.write(b"segment")
            self.assertFalse(segment.is_done(job, seg))
            marker = {"frames": seg.frames, "sha256": segment.file_sha256(job.segment_file(0)),
                      "fingerprint": segment.plan_fingerprint(job, seg)}
            with open(job.marker_file(0), "w") as f:
                json.dump(marker, f)
            self.assertTrue(segment.is_done(job, seg))
            with open(job.segment_file(0), "ab") as f:
                f.write(b"!")
            self.assertFalse(segment.is_done(job, seg), "a changed file is not done")
            marker["sha256"] = segment.file_sha256(job.segment_file(0))
            with open(job.marker_file(0), "w") as f:
                json.dump(marker, f)
            self.assertTrue(segment.is_done(job, seg))
            job.filter_options = "mode=tb"
            self.assertFalse(segment.is_done(job, seg), "a marker of another plan is stale")


if __name__ == "__main__":
    unittest.main()
