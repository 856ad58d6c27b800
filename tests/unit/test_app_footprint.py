"""What loading the app costs every process (web workers, brochure builds)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Heavy libraries only some requests need: imported where they are used.
HEAVY = ("scipy", "pypdf")


def test_loading_the_app_leaves_heavy_libraries_for_their_users(tmp_path):
    script = (
        "import sys\n"
        "from app import create_app\n"
        f"create_app({{'SHOWCASE_ENV': 'development', 'SECRET_KEY': 'x' * 40, "
        f"'DATABASE_URL': 'sqlite:///{tmp_path / 'app.db'}'}})\n"
        f"print(' '.join(sorted({{name.split('.')[0] for name in sys.modules}} & set({HEAVY!r}))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=ROOT)
    assert loaded.stdout.split() == []


def test_results_computation_still_finds_scipy():
    from app.results.reliability import _f_quantile

    # F(0.975; 4, 10) from the tables.
    assert abs(_f_quantile(4, 10, 0.975) - 4.4683) < 1e-3
