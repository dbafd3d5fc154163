"""B-MM Lab's model in PyTorch, to check and reuse weights exported by the in-browser lab."""

from .loader import build_model, load_model, parse_metadata
from .modalities import MODALITY_PAIRS
from .model import FUSIONS, AVClassifier, ResNet18, scaled_width
from .safetensors_io import SafetensorsError, load_file, load_numpy, save_file

__all__ = [
    "AVClassifier",
    "FUSIONS",
    "MODALITY_PAIRS",
    "ResNet18",
    "SafetensorsError",
    "build_model",
    "load_file",
    "load_model",
    "load_numpy",
    "parse_metadata",
    "save_file",
    "scaled_width",
]
