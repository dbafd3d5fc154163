"""Branch kinds: what each of the model's two branches takes (issue 12: any two modalities).

Each branch has a kind: ``spectrogram`` (1 channel, one image ``[N, 1, H, W]``), ``rgb`` (3) or ``flow`` (2), the
frame kinds taking clips ``[N, C, T, S, S]``. ``audio_net`` is the first branch and ``visual_net`` the second,
whatever their kinds (the state-dict names, the methods ``audio-only`` / ``visual-only`` and the metric keys
``audio`` / ``visual`` keep OGM-GE's names and mean first and second branch). The lab trains the ordered pairs of
``MODALITY_PAIRS``.
"""

from .jsformat import js_json

MODALITY_KINDS = ("spectrogram", "rgb", "flow")
MODALITY_CHANNELS = {"spectrogram": 1, "rgb": 3, "flow": 2}
FRAME_KINDS = ("rgb", "flow")
MODALITY_PAIRS = (("spectrogram", "rgb"), ("spectrogram", "flow"), ("rgb", "flow"))
DEFAULT_MODALITIES = ("spectrogram", "rgb")


def pairs_text():
    """The supported pairs as messages list them (as ``src/data/pack.ts``):
    ``["spectrogram","rgb"], ["spectrogram","flow"], ["rgb","flow"]``."""
    return ", ".join(js_json(list(p)) for p in MODALITY_PAIRS)


def is_frames(kind):
    """Whether a branch of this kind takes clips of T frames (rgb, flow) rather than one image (spectrogram)."""
    return kind in FRAME_KINDS


def check_modalities(modalities):
    """The pair as a tuple of two kinds; raises ValueError naming the supported pairs."""
    pair = tuple(modalities) if isinstance(modalities, (list, tuple)) else None
    if pair not in MODALITY_PAIRS:
        shown = js_json(list(pair)) if pair is not None and all(isinstance(k, str) for k in pair) else repr(modalities)
        raise ValueError("modalities %s are not supported: the lab trains %s" % (shown, pairs_text()))
    return pair


def modalities_from_channels(audio_channels=1, visual_channels=3):
    """The pair the old ``audio_channels`` / ``visual_channels`` arguments meant (1 spectrogram, 3 rgb, 2 flow)."""
    kinds = {c: k for k, c in MODALITY_CHANNELS.items()}
    pair = []
    for name, c in (("audio_channels", audio_channels), ("visual_channels", visual_channels)):
        if c not in kinds:
            raise ValueError("%s %r is no branch kind's channel count (spectrogram 1, rgb 3, flow 2)" % (name, c))
        pair.append(kinds[c])
    return check_modalities(pair)


def modalities_of_old_metadata(visual_shape):
    """The pair of an export written before ``modalities`` existed: a spectrogram first branch, then flow for a
    2-channel ``visual_shape``, else rgb."""
    return ("spectrogram", "flow" if visual_shape and visual_shape[0] == 2 else "rgb")
