"""`newsletter init`: the files a new site starts from, and what to do next.

A user who ran `pip install newsletter-digest` has no feeds.yaml. The starter site works at once
and offline (its one feed is the local example questions feed), every setting is
explained where it is written, and nothing that exists is ever overwritten.
"""

from __future__ import annotations

from pathlib import Path

from newsletter.config.shipped import shipped_file
from newsletter.errors import BadInput

FEEDS_YAML = """\
# The one config file of a newsletter site: the site, the newsletter and its feeds.
# Relative paths resolve against this folder. Check it with `newsletter status`.
# Deployment settings and secrets come from NEWSLETTER_* environment variables
# (NEWSLETTER_BASE_URL, NEWSLETTER_SMTP_URL, NEWSLETTER_DATABASE_URL, ...), never this file.
site:
  title: My Site                 # shown in emails, feeds and pages
  url: https://www.example.com/  # the website the articles are on
  description: What is new on My Site, every week
  language: en                   # a language tag, like en or en-GB
  # feed_items: 50               # entries in the published feeds

newsletter:
  from: My Site <news@example.com>   # the From: of every email; its domain needs SPF, DKIM, DMARC
  send_on: monday 07:00          # weekly; the digest of an ISO week goes out once, not before
  timezone: UTC                  # an IANA name, like Europe/London
  # skip_empty: true             # send nothing in a week with nothing new

# collect:                       # optional; the defaults suit a few hundred feeds
#   concurrency: 10              # feeds fetched at once
#   deadline: 60                 # seconds per feed, whatever the server does

feeds:
  # A feed is read from a URL (http or https only), or from a local file with path:.
  # kind: articles (the default) or questions (reader questions the site publishes).
  # - name: My Site
  #   url: https://www.example.com/feed.xml
  - name: Readers' questions
    path: questions.xml          # an example: replace it with your own questions feed
    kind: questions
"""

QUESTIONS_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- An example feed of reader questions, read by feeds.yaml's `path: questions.xml`.
     A site usually publishes its own; point a `url:` at it and delete this file. -->
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Readers' questions</title>
    <link>https://www.example.com/questions/</link>
    <description>Questions sent in by readers, with our answers.</description>
    <language>en</language>
    <item>
      <title>How often should I run as a beginner?</title>
      <link>https://www.example.com/questions/how-often.html</link>
      <guid isPermaLink="true">https://www.example.com/questions/how-often.html</guid>
      <dc:creator>Sam</dc:creator>
      <description><![CDATA[
<p>I have just started running. How many days a week should I run?</p>
<p><strong>Our answer:</strong> three days a week, never two in a row, is a good start.</p>
]]></description>
    </item>
  </channel>
</rss>
"""

FILES = ("feeds.yaml", "exercises.yaml", "questions.xml")


def write_starter(folder: Path, exercises_yaml: str) -> list[Path]:
    """Write the starter files into ``folder`` (created if need be); none is written if
    any exists already. ``exercises_yaml`` is the shipped catalog, the site's to edit."""
    paths = [folder / name for name in FILES]
    for path in paths:
        if path.exists():
            raise BadInput(f"{path} already exists; init never overwrites a file (move it away)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in zip(paths, (FEEDS_YAML, exercises_yaml, QUESTIONS_XML), strict=True):
            with open(path, "x", encoding="utf-8") as out:  # "x": a file that appeared is kept
                out.write(text)
    except FileExistsError as exc:
        raise BadInput(f"{exc.filename} already exists; init never overwrites a file") from None
    except OSError as exc:
        raise BadInput(f"cannot write the starter files into {folder}: {exc.strerror}") from None
    return paths


def deployment_guide() -> Path:
    """The wheel carries the guide as newsletter/_data/deployment.md; a checkout has it in docs/."""
    return shipped_file("deployment.md", "docs")


def next_steps(folder: Path, program: str) -> str:
    """What to do after init, in order: try it, then deploy it."""
    site = folder.resolve()
    config = site / "feeds.yaml"
    guide = deployment_guide()
    return f"""\
Next steps:
  1. Edit {config}: the site's title and URL, the newsletter's From:, your feeds.
  2. Tell it its public address (links in emails and pages use it) and its mail server:
       export NEWSLETTER_BASE_URL=https://news.example.com/
       export NEWSLETTER_SMTP_URL=smtp+starttls://user:password@smtp.example.com:587
     Try it: {program} --config {config} run   (then `preview` shows the digest;
     NEWSLETTER_OUTBOX=outbox instead of an SMTP URL writes the emails to a folder)
  3. Run it every ten minutes from cron (crontab -e):
       NEWSLETTER_BASE_URL=https://news.example.com/
       NEWSLETTER_SMTP_URL=smtp+starttls://user:password@smtp.example.com:587
       */10 * * * * cd {site} && {program} run >> {site}/run.log 2>&1
     or with systemd: a newsletter.service (Type=oneshot, WorkingDirectory={site},
     ExecStart={program} run) and a newsletter.timer (OnCalendar=*:0/10).
  4. Serve the sign-up form and the archive behind nginx:
       {program} --config {config} serve --proxies 1   (as a systemd service)
  5. DNS records for the From: domain, so the digest is not taken for spam:
       SPF    TXT  @                  "v=spf1 include:<your mail provider> -all"
       DKIM   TXT  <selector>._domainkey  the public key your mail provider gives you
       DMARC  TXT  _dmarc             "v=DMARC1; p=quarantine; rua=mailto:postmaster@<domain>"
  6. A console account for you, then sign in at https://news.example.com/admin/:
       {program} --config {config} admin add you@example.com
  The deployment guide (nginx, systemd units, backups, upgrades) is
  {guide}
"""
