"""axe-core (tests/browser/vendor/axe.min.js) in the tested page: its WCAG 2.1 A/AA violations."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
    const options = tags ? {runOnly: {type: "tag", values: tags}} : {resultTypes: ["violations"]};
    const result = await axe.run(document, options);
    return result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).join(", ")})`);
}"""


def axe_violations(page, tags=WCAG_TAGS) -> list[str]:
    """Each violation as "rule: what (targets)", under the rules of ``tags`` (None: every rule
    axe-core has, best practices included). The script goes in through Playwright's evaluate,
    which the site's Content-Security-Policy (scripts from 'self' only) does not block."""
    page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE, tags)
