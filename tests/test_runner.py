"""The runner, in-process: each way a snippet can misbehave is planted in a small temporary project
and run as the build runs it. Each must fail with a message that names the snippet and says what
happened, leave the project as it was, and leave no process behind."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from compression_answers import settings
from compression_answers.fork_server import ForkServer
from compression_answers.runner import (
    SnippetFailed,
    kernels_chosen_before_the_snippet,
    run_snippet,
    scratch_copy,
    sweep_dead_scratch,
    text_of,
    traceback_only,
)
from compression_answers.seal import OVERLAID, SEALED

SNIPPET = "snippets/sample/count.py"


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "snippets/sample").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text("# Home\n")
    return tmp_path


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(project: Path, code: str, timeout: float = 30, **options) -> str:
    (project / SNIPPET).write_text(code, encoding="utf-8")
    return run_snippet(SNIPPET, project, timeout, **options).output


def fails(project: Path, code: str, *messages: str, timeout: float = 30, **options) -> str:
    (project / SNIPPET).write_text(code, encoding="utf-8")
    before = tree(project)
    with pytest.raises(SnippetFailed) as failure:
        run_snippet(SNIPPET, project, timeout, **options)
    for message in messages:
        assert message in str(failure.value), str(failure.value)
    assert tree(project) == before, "the run changed the project"
    return str(failure.value)


def processes_with(marker: str) -> list[str]:
    done = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if marker in line and "ps -eo" not in line]


def test_a_snippet_prints_what_python_prints(project):
    assert run(project, "import sys\nprint(6 * 7)\nsys.stdout.write('x\\n')\n") == "42\nx\n"


def test_a_class_defined_in_the_snippet_pickles_as_under_python(project):
    code = "import pickle\n\nclass Model:\n    pass\n\nprint(len(pickle.dumps(Model())) > 0)\n"
    assert run(project, code) == "True\n"


def test_a_raise_names_the_file_and_line(project):
    fails(
        project,
        "print(1)\nraise RuntimeError('planted')\n",
        f"{SNIPPET} raised",
        f'File "{SNIPPET}", line 2',
        "RuntimeError: planted",
    )


@pytest.mark.parametrize("signal_name", ["SIGSEGV", "SIGKILL"])
def test_a_crash_names_the_signal(project, signal_name):
    fails(
        project,
        f"import os, signal\nprint(1, flush=True)\nos.kill(os.getpid(), signal.{signal_name})\n",
        f"{SNIPPET} was killed by {signal_name}",
    )


def test_an_exit_halfway_is_not_a_finished_run(project):
    fails(
        project,
        "import os\nprint(42, flush=True)\nos._exit(0)\nprint(43)\n",
        f"{SNIPPET} exited with code 0 before its last line ran",
    )


def test_an_exit_code_is_a_failure_unless_the_block_expects_it(project):
    fails(project, "import sys\nprint(1)\nsys.exit(3)\n", f"{SNIPPET} exited with code 3")
    assert run(project, "import sys\nprint(1)\nsys.exit(3)\n", returncode=3) == "1\n"
    fails(project, "print(1)\n", "exited with code 0 (the block expects 3)", returncode=3)


def test_output_over_the_limit_fails(project):
    fails(
        project,
        f"print('x' * {settings.OUTPUT_LIMIT_BYTES + 1})\n",
        f"{SNIPPET} printed",
        "over the limit",
    )


def test_a_huge_output_is_cut_off_without_waiting_for_it(project):
    started = time.monotonic()
    fails(project, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", "over the limit")
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "code, message",
    [
        (
            "import sys\nsys.stdout.buffer.write(b'caf\\xe9\\n')\n",
            "printed bytes that are not UTF-8",
        ),
        ("print('\\x1b[31mred\\x1b[0m')\n", "printed a terminal escape code"),
    ],
    ids=["not UTF-8", "escape code"],
)
def test_output_a_page_cannot_show_fails(project, code, message):
    fails(project, code, f"{SNIPPET} {message}")


@pytest.mark.parametrize(
    "code, change",
    [
        ("open('docs/x.md', 'w').write('# Published?')\nprint(1)\n", "added docs/x.md"),
        (
            "import os\nos.remove('snippets/sample/other.py')\nprint(1)\n",
            "deleted snippets/sample/other.py",
        ),
        ("open('docs/index.md', 'a').write('more')\nprint(1)\n", "changed docs/index.md"),
    ],
    ids=["adds a page", "deletes a sibling", "edits a page"],
)
def test_a_snippet_that_changes_the_project_fails_and_the_checkout_is_untouched(
    project, code, change
):
    (project / "snippets/sample/other.py").write_text("print(2)\n")
    fails(project, code, f"{SNIPPET} changed the project it ran in: {change}")


@pytest.mark.parametrize(
    "copy_name",
    ["build-", "build-a,b-"],  # an overlay's options cannot name a comma: the linked copy, then
    ids=["an overlay", "a linked copy"],
)
def test_a_write_through_a_builds_copy_is_caught_and_neither_copy_nor_checkout_changes(
    project, copy_name
):
    (project / SNIPPET).write_text("open('docs/index.md', 'w').write('overwritten')\nprint(1)\n")
    before = tree(project)
    pristine = scratch_copy(project, prefix=copy_name)
    try:
        with pytest.raises(
            SnippetFailed, match="changed the project it ran in: changed docs/index.md"
        ):
            run_snippet(SNIPPET, project, 30, pristine=pristine)
        if copy_name == "build-":  # the overlay keeps the write in the run's own layer
            assert tree(pristine) == before
    finally:
        shutil.rmtree(pristine)
    assert tree(project) == before


def test_a_run_sees_the_project_through_an_overlay_where_the_kernel_allows_one(project):
    """The run's cost does not grow with the project: it sees the build's copy through an
    overlay, nothing linked file by file; where the kernel refuses one, a linked copy, named."""
    (project / SNIPPET).write_text("import os\nprint(sorted(os.listdir('docs')))\n")
    pristine = scratch_copy(project, prefix="build-")
    unnameable = scratch_copy(project, prefix="build-a,b-")
    try:
        ran = run_snippet(SNIPPET, project, 30, pristine=pristine)
        refused = run_snippet(SNIPPET, project, 30, pristine=unnameable)
    finally:
        shutil.rmtree(pristine)
        shutil.rmtree(unnameable)
    assert ran.output == refused.output == "['index.md']\n"
    assert "linked copy" in refused.view and "refused an overlay" in refused.view
    if ran.seal != SEALED:
        pytest.skip(f"the kernel refuses namespaces here: {ran.seal}")
    assert ran.view == OVERLAID


def test_a_snippet_outside_the_project_is_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("print('read and executed')\n")
    (project / "snippets/sample/linked.py").symlink_to(outside)
    with pytest.raises(SnippetFailed, match="outside the project"):
        run_snippet("snippets/sample/linked.py", project, 30)


def test_the_files_a_snippet_reads_are_reported(project):
    (project / "snippets/sample/table.txt").write_text("table v1\n")
    (project / "snippets/sample/other.py").write_text("print('other')\n")
    code = "import runpy\nrunpy.run_path('snippets/sample/other.py')\nprint(open('snippets/sample/table.txt').read())\n"
    (project / SNIPPET).write_text(code)
    ran = run_snippet(SNIPPET, project, 30)
    assert set(ran.read) == {"snippets/sample/other.py", "snippets/sample/table.txt"}


@pytest.mark.parametrize(
    "reader",
    [
        "import subprocess\nsubprocess.run(['cat', 'snippets/sample/table.txt'], check=True)\n",
        "import sqlite3\nsqlite3.connect('snippets/sample/table.txt').close()\n"
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.open(b'snippets/sample/table.txt', 0)\n",
        "import torch\nprint(torch.from_file('snippets/sample/table.txt', size=3, dtype=torch.uint8))\n",
    ],
    ids=["a subprocess", "ctypes", "torch.from_file"],
)
def test_a_read_python_does_not_see_is_reported(project, reader):
    """Reads the audit hook could not see: they must still reach the cache's key."""
    (project / "snippets/sample/table.txt").write_text("table v1\n")
    (project / SNIPPET).write_text(reader)
    assert "snippets/sample/table.txt" in run_snippet(SNIPPET, project, 60).read


def test_a_hung_snippet_is_stopped_and_its_group_killed(project):
    marker = "61.2345"
    code = f"import subprocess, time\nsubprocess.Popen(['sleep', '{marker}'])\nwhile True:\n    time.sleep(1)\n"
    fails(project, code, f"{SNIPPET}: still running after 1 s, stopped", timeout=1)
    time.sleep(0.2)
    assert processes_with(marker) == []


def test_a_finished_snippet_is_not_held_by_what_it_left_running(project):
    marker = "62.2345"
    started = time.monotonic()
    assert (
        run(
            project,
            f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'])\nprint('done')\n",
            timeout=20,
        )
        == "done\n"
    )
    assert time.monotonic() - started < 10, "the run waited for the grandchild holding its output"
    time.sleep(0.2)
    assert processes_with(marker) == [], "a process the snippet started outlived it"


HANG_LIMIT = 2  # seconds: five quick runs must each end a second before it (one takes 0.1 s)


def test_a_hung_sibling_does_not_hold_a_finished_snippet(project):
    (project / "snippets/sample/hangs.py").write_text(
        "import time\nwhile True:\n    time.sleep(1)\n"
    )
    (project / SNIPPET).write_text("print(42)\n")
    outcome = {}

    def hang():
        try:
            run_snippet("snippets/sample/hangs.py", project, HANG_LIMIT)
        except SnippetFailed as error:
            outcome["hang"] = str(error)

    sibling = threading.Thread(target=hang)
    sibling.start()
    time.sleep(0.05)
    for _ in range(5):  # forked right after the hanging one, again and again
        started = time.monotonic()
        assert run_snippet(SNIPPET, project, 30).output == "42\n"
        # Held by the sibling's pipes, it would end only with the sibling, at its limit.
        assert time.monotonic() - started < HANG_LIMIT - 1
    sibling.join()
    assert f"still running after {HANG_LIMIT} s" in outcome["hang"]


def test_the_library_line_before_a_traceback_is_kept():
    stderr = (
        "noise\nSkipping import of cpp extensions due to incompatible torch version\n"
        "Traceback (most recent call last):\n  x\nE: y\n"
    )
    assert traceback_only(stderr).startswith("noise\nSkipping import of cpp extensions")


def test_text_of_accepts_plain_utf8():
    assert text_of("café ± 1\n".encode(), SNIPPET) == "café ± 1\n"


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"SNIPPET_TIMEOUT": "5s"}, "SNIPPET_TIMEOUT='5s'"),
        ({"SNIPPET_TIMEOUT": "0"}, "SNIPPET_TIMEOUT='0'"),
        ({"SNIPPET_JOBS": "0"}, "SNIPPET_JOBS='0'"),
        ({"SNIPPET_JOBS": "two"}, "SNIPPET_JOBS='two'"),
        ({"SNIPPET_CACHE": "maybe"}, "SNIPPET_CACHE='maybe'"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(environ, message):
    with pytest.raises(settings.BadSetting, match=message):
        settings.read(environ)


def test_the_settings_default():
    read = settings.read({})
    assert (read.cache, read.timeout, read.jobs) == (
        True,
        settings.DEFAULT_TIMEOUT_SECONDS,
        os.cpu_count(),
    )


def test_a_snippet_that_pins_kernels_torch_had_already_chosen_is_told(monkeypatch):
    """In a child of a process where torch had computed, the snippet's own ATEN_CPU_CAPABILITY
    would not take effect; the child's report says so (the fork server never computes, but a
    module it preloads might)."""
    import torch

    torch.ones(2).sum()  # this process has computed: a child would inherit the kernels it chose
    chosen = torch.backends.cpu.get_cpu_capability()
    if chosen == "DEFAULT":
        pytest.skip("this CPU has no kernels above ATen's default to choose")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", chosen.lower())
    assert kernels_chosen_before_the_snippet() is None
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    told = kernels_chosen_before_the_snippet()
    assert "ATEN_CPU_CAPABILITY=default" in told and f"already chosen its {chosen}" in told


def test_the_fork_server_has_not_chosen_kernels_when_a_snippet_pins_them(project):
    pinned = 'import os\nos.environ["ATEN_CPU_CAPABILITY"] = "default"\nimport torch\n'
    assert run(project, pinned + "print(torch.backends.cpu.get_cpu_capability())\n") == "DEFAULT\n"


def test_a_module_that_registers_inductor_passes_stays_out_of_the_build_process(project):
    """Imported in the build's process, torchao's x86 PT2E passes would join every later
    snippet's torch.compile; the snippet that imports them gets them in its own child only."""
    (project / SNIPPET).write_text(
        "import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer\nprint('imported')\n"
    )
    probe = (
        "import sys\nfrom pathlib import Path\n"
        "from compression_answers.runner import run_snippet\n"
        f"print(run_snippet({SNIPPET!r}, Path({str(project)!r}), 60).output, end='')\n"
        "print('torchao.quantization.pt2e.inductor_passes.x86' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout == "imported\nFalse\n", done.stdout + done.stderr


def test_the_tests_python_run_of_a_snippet_never_touches_the_checkout(project):
    """The tests run `python <snippet>` in a copy of the project: a snippet that writes and
    removes a file in its working folder leaves the author's file of that name alone, and is
    reported."""
    from snippet_outputs import Snippet

    (project / "results.csv").write_text("the author's results\n")
    (project / SNIPPET).write_text(
        "import os\nopen('results.csv', 'w').write('x')\nos.remove('results.csv')\nprint(1)\n"
    )
    with pytest.raises(
        AssertionError, match="changed the project it ran in: .*deleted results.csv"
    ):
        Snippet(Path(SNIPPET)).run_standalone(project)
    assert (project / "results.csv").read_text() == "the author's results\n"


def test_a_temporary_folder_inside_the_project_is_refused_naming_tmpdir(project, monkeypatch):
    inside = project / "tmp"
    inside.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(inside))
    with pytest.raises(SnippetFailed, match="TMPDIR"):
        scratch_copy(project)
    assert list(inside.iterdir()) == [], "a copy was started inside the project"


# A timing snippet is recognised by its text: a comment naming the module is enough here.
TIMES_ITSELF = "# times with torch.utils.benchmark\n"


def test_a_timing_snippet_runs_in_a_fresh_interpreter_and_others_in_a_fork(project):
    """A module one run imported is preloaded by the fork server: the next plain snippet starts
    with it, and a timing snippet does not."""
    server = ForkServer()
    try:
        run(project, "import colorsys\n", server=server)
        inherited = "import sys\n\nprint('colorsys' in sys.modules)\n"
        assert run(project, inherited, server=server) == "True\n", "no import was shared"
        assert run(project, TIMES_ITSELF + inherited, server=server) == "False\n", (
            "a timing snippet inherited the server's imports"
        )
    finally:
        server.close()


def test_a_module_that_fixes_a_path_at_import_is_imported_in_each_run(project):
    """Inductor's codecache keeps its precompiled headers' folder from the TMPDIR it was imported
    under: preloaded by the server, every run wrote into the build's temporary folder, which
    the seal makes read-only (Inductor's compile failed there). Each run imports it itself."""
    server = ForkServer()
    try:
        run(project, "import torch._inductor.codecache\n", server=server)
        inherited = "import sys\n\nprint('torch._inductor.codecache' in sys.modules)\n"
        assert run(project, inherited, server=server) == "False\n", (
            "the server preloaded a module that fixes a path at import"
        )
        run(project, "import colorsys\n", server=server)
        shared = "import sys\n\nprint('colorsys' in sys.modules)\n"
        assert run(project, shared, server=server) == "True\n", "the server stopped preloading"
    finally:
        server.close()


def test_a_fresh_interpreter_keeps_the_runners_rules(project):
    assert (
        run(
            project, TIMES_ITSELF + "import os\n\nprint(os.environ['OMP_NUM_THREADS'])\n", threads=1
        )
        == "1\n"
    )
    fails(project, TIMES_ITSELF + "raise ValueError('planted')\n", SNIPPET, "ValueError: planted")
    fails(
        project,
        TIMES_ITSELF + "import time\n\ntime.sleep(60)\n",
        SNIPPET,
        "still running",
        timeout=2,
    )
    fails(project, TIMES_ITSELF + "open('planted.txt', 'w').write('x')\n", "planted.txt")


# A grandchild that leaves the snippet's process group and keeps its output open: setsid(), then
# sleep. Under the old runner it held a finished build past its time limit, and outlived it.
ESCAPES_THE_GROUP = """import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # a daemon: forked twice, its parent gone
        os.execvp("sleep", ["sleep", "{marker}"])
    os._exit(0)
time.sleep(0.2)
print("done")
"""


def test_a_daemon_that_left_the_group_neither_holds_the_run_nor_outlives_it(project):
    marker = "63.2345"
    started = time.monotonic()
    assert run(project, ESCAPES_THE_GROUP.format(marker=marker), timeout=20) == "done\n"
    assert time.monotonic() - started < 10, "the run waited for the daemon holding its output"
    time.sleep(0.2)
    assert processes_with(marker) == [], "a daemon the snippet started outlived it"


def test_a_hung_daemon_that_left_the_group_is_killed_at_the_limit(project):
    marker = "64.2345"
    code = ESCAPES_THE_GROUP.format(marker=marker).replace('print("done")', "time.sleep(600)")
    fails(project, code, f"{SNIPPET}: still running after 2 s, stopped", timeout=2)
    time.sleep(0.2)
    assert processes_with(marker) == []


def test_a_killed_build_leaves_no_snippet_running(project):
    marker = "65.2345"
    (project / SNIPPET).write_text(
        ESCAPES_THE_GROUP.format(marker=marker).replace('print("done")', "time.sleep(600)")
    )
    build = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pathlib import Path\nfrom compression_answers.runner import run_snippet\n"
            f"run_snippet({SNIPPET!r}, Path({str(project)!r}), 600)\n",
        ]
    )
    deadline = time.monotonic() + 60
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker), "the snippet did not start"
    build.kill()
    build.wait()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == [], "the snippet outlived the build that was killed"
    # Its scratch folders stay until the next build sweeps them: this one.
    swept = sweep_dead_scratch()
    assert any(name.startswith(f"snippet-{build.pid}-") for name in swept), swept


# Up the chain of parents, through each one's /proc entry, to its working folder (the build's is
# the checkout), and into the author's home: every door a snippet once found to the real files.
REACHES_OUT = """import os
from pathlib import Path
pid, tried = os.getppid(), []
while pid > 1:
    for door in ("cwd", "root"):
        try:
            Path(f"/proc/{{pid}}/{{door}}/{marker}").write_text("escaped")
            tried.append(f"{{door}} of {{pid}}: written")
        except OSError as error:
            tried.append(f"{{door}} of {{pid}}: {{type(error).__name__}}")
    pid = int(Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()[1])
for target in ({home!r}, {checkout!r}):
    try:
        Path(target, "{marker}").write_text("escaped")
    except OSError as error:
        tried.append(f"{{target}}: {{type(error).__name__}}")
print(len(tried))
"""


def test_a_snippet_cannot_write_outside_its_scratch_copy(project, monkeypatch):
    """Through its parents' /proc entries, into the author's home or into the checkout by its
    path: each write fails, and the run says the seal was in force."""
    marker = "escaped-marker-5931.txt"
    home = Path.home()
    monkeypatch.chdir(project)  # the build's working folder is the checkout
    (project / SNIPPET).write_text("print(42)\n")
    seal = run_snippet(SNIPPET, project, 60).seal
    if seal != SEALED:  # asked first: unsealed, the snippet below would write into real folders
        pytest.skip(f"the runs are not sealed on this machine: {seal}")
    # Every folder the snippet aims at: this test's own parents' working folders (the shell
    # that ran pytest sits in the real checkout) and the ones it names.
    targets = {home, project, Path("/")} | {
        Path(os.readlink(f"/proc/{pid}/cwd")) for pid in parents()
    }
    (project / SNIPPET).write_text(
        REACHES_OUT.format(marker=marker, home=str(home), checkout=str(project))
    )
    run_snippet(SNIPPET, project, 60)
    assert [str(t) for t in sorted(targets) if (t / marker).exists()] == []


def parents() -> list[int]:
    """This process's ancestors that this user may look into, nearest first."""
    pid, found = os.getppid(), []
    while pid > 1:
        try:
            os.readlink(f"/proc/{pid}/cwd")
            found.append(pid)
        except OSError:
            pass
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


def test_a_same_size_write_with_its_time_restored_is_caught(project):
    """Once missed (sizes and times compared): the kernel sees the write as it happens."""
    code = (
        "import os\n"
        "path = 'docs/index.md'\n"
        "st = os.stat(path)\n"
        "with open(path, 'r+') as f:\n"
        "    f.write('#')\n"  # the same first byte's place, the same size
        "os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))\n"
        "print(42)\n"
    )
    fails(project, code, f"{SNIPPET} changed the project it ran in: changed docs/index.md")


def test_scratch_folders_of_dead_builds_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    left = tmp_path / f"build-{dead.stdout.strip()}-abc"
    (left / "snippets").mkdir(parents=True)
    live = tmp_path / f"snippet-{os.getpid()}-def"
    live.mkdir()
    other = tmp_path / "unrelated-123-x"
    other.mkdir()
    assert sweep_dead_scratch() == [left.name]
    assert not left.exists() and live.exists() and other.exists()


def test_a_timing_snippet_works_beside_others_until_its_first_measurement(project):
    """What it does before it measures (imports, training, compiling: here a second's sleep)
    runs beside other snippets; the build's gate is held from its first timer call on, and the
    measurement runs inside it."""
    (project / SNIPPET).write_text(
        "import time\n"
        "from torch.utils import benchmark\n\n"
        "time.sleep(1)\n"
        "benchmark.Timer('1 + 1').timeit(10)\n"
        "print(time.time())\n"
    )
    entered = []

    @contextlib.contextmanager
    def alone():
        entered.append(time.time())
        yield

    started = time.time()
    measured_at = float(run_snippet(SNIPPET, project, 60, alone=alone).output)
    assert len(entered) == 1, "the gate was not taken once"
    assert entered[0] - started >= 1, "the gate was taken before the snippet's first measurement"
    assert measured_at >= entered[0], "the snippet measured before it was given the machine"


def test_a_timing_snippet_that_never_measures_runs_to_its_end_without_the_gate(project):
    (project / SNIPPET).write_text(TIMES_ITSELF + "print('nothing timed')\n")
    entered = []

    @contextlib.contextmanager
    def alone():
        entered.append(True)
        yield

    assert run_snippet(SNIPPET, project, 60, alone=alone).output == "nothing timed\n"
    assert entered == []


def test_a_sealed_run_makes_its_temporary_files_in_its_private_folder(tmp_path):
    """A run forked from the server inherits the temporary folder the server's `tempfile` had
    read from the build's TMPDIR, read-only under the seal: Inductor's compile of a forked
    snippet failed there with EROFS. The seal makes it read TMPDIR again."""
    scratch, private = tmp_path / "scratch", tmp_path / "private"
    scratch.mkdir()
    private.mkdir()
    code = (
        "import tempfile, sys\n"
        "tempfile.gettempdir()\n"  # read before the seal, as the server had
        "from compression_answers.seal import seal_run\n"
        "seal_run(__import__('pathlib').Path(sys.argv[1]), __import__('pathlib').Path(sys.argv[2]))\n"
        "folder = tempfile.mkdtemp()\n"
        "print(folder)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(scratch), str(private)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(private / "tmp")), done.stdout
