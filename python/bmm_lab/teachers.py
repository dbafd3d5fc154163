"""UMT's teachers from files: the exported weights of an audio-only and a visual-only run (``umt.ts``'s
``loadTeacher``). A teacher's taught branch must have the student's kind and the width must match, so the features
have the same size; a file whose metadata names another method than the unimodal one is refused."""

from .loader import load_model, parse_metadata
from .rules import UmtTeachers


class TeacherError(ValueError):
    pass


def load_teacher(path, branch, modalities, width):
    """The model in ``path`` (evaluation mode), checked to teach ``branch`` ('audio' or 'visual') of a student with
    these ``modalities`` and ``width``."""
    try:
        model, meta = load_model(path)
    except (OSError, ValueError) as e:
        raise TeacherError("UMT %s teacher %s: %s" % (branch, path, getattr(e, "strerror", None) or e)) from None
    k = 0 if branch == "audio" else 1
    kinds = tuple(parse_metadata(meta)["modalities"])
    if kinds[k] != tuple(modalities)[k]:
        raise TeacherError(
            "UMT %s teacher %s: its %s branch is %s, the model's is %s" % (branch, path, "first" if k == 0 else "second", kinds[k], tuple(modalities)[k])
        )
    if float(meta.get("width", "1")) != float(width):
        raise TeacherError("UMT %s teacher %s: width %s, the model's is %s (the features must have the same size)" % (branch, path, meta.get("width"), width))
    wanted = "audio-only" if branch == "audio" else "visual-only"
    if meta.get("method") and meta["method"] != wanted:
        raise TeacherError("UMT %s teacher %s: trained with method %s; a teacher is %s %s run" % (branch, path, meta["method"], "an" if branch == "audio" else "a", wanted))
    return model


def load_teachers(audio_path, visual_path, modalities, width):
    """UmtTeachers from the two files."""
    return UmtTeachers(load_teacher(audio_path, "audio", modalities, width), load_teacher(visual_path, "visual", modalities, width))
