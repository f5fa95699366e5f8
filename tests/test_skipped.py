"""Grouping skipped files by kind of problem: damaged first, counts, order kept within a group."""

from __future__ import annotations

from playground.core.data.skipped import (
    DAMAGED,
    KIND_TITLES,
    LINK,
    OTHER,
    OTHER_TYPE,
    SPECIAL,
    SkippedFile,
    group_skipped,
    some_names,
    summary,
)


def test_groups_put_damaged_files_first_and_other_types_last():
    skipped = [SkippedFile(f"/d/{i:03}.txt", "not an image file type (.txt)", OTHER_TYPE) for i in range(300)]
    skipped.insert(150, SkippedFile("/d/zz_broken.png", "damaged or truncated image", DAMAGED))
    skipped.insert(10, SkippedFile("/d/aa_broken.png", "damaged or truncated image", DAMAGED))
    skipped.append(SkippedFile("/d/pipe.png", "a named pipe (FIFO), not a file; never opened", SPECIAL))
    skipped.append(SkippedFile("/d/self", "link loop", LINK))
    skipped.append(SkippedFile("/d/odd", "made up by an older loader", "no such kind"))
    groups = group_skipped(skipped)
    assert [(g.kind, g.count) for g in groups] == [(DAMAGED, 2), (SPECIAL, 1), (LINK, 1), (OTHER, 1),
                                                   (OTHER_TYPE, 300)]
    assert [s.path for s in groups[0].files] == ["/d/aa_broken.png", "/d/zz_broken.png"]  # order kept
    assert groups[0].title == KIND_TITLES[DAMAGED]
    assert summary(groups) == ("2 damaged; 1 pipe or device; 1 link not followed; 1 other problem; "
                               "300 files of other types")
    assert sum(g.count for g in groups) == len(skipped)


def test_nothing_skipped_is_no_groups():
    assert group_skipped([]) == [] and summary([]) == ""


def test_some_names():
    assert some_names(["a"]) == "a"
    assert some_names(["a", "b", "c"]) == "a, b, c"
    assert some_names(list("abcde")) == "a, b, c and 2 more"
