"""A sound model's pitch hint: the note a caption names, drawn for the UNet as a plain tone's log-mel spectrum.

The hint must reach the UNet where the caption names a note, be absent (zeros) for the null caption so
that guidance guides pitch, sit where the spectrogram puts that note, and stay out of image models and of
sound models saved before it existed.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from playground.core.data.note_captions import caption_midi
from playground.core.data.notes import midi_to_hz
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.diffusion_net import DiffusionNet, tone_spectra
from playground.core.models.text_encoder import empty_captions, encode_captions, train_caption_tokenizer
from playground.core.preprocess.mel import hz_to_mel, mel_to_hz

CAPTIONS = ["a flute playing A4", "cello, C#3, soft", "Db5 on a harp", "a dog barking", "piano note A4 or B4"]


def sound_config(**changes) -> DiffusionConfig:
    clips = SimpleNamespace(sample_rate=16000, x=np.zeros((2, 32000), np.float32))  # 2 s clips, as the bundled notes
    return DiffusionConfig(width=8, mults=(1, 2), attention_levels=(1,), text_dim=16, text_layers=0,
                           **changes).for_data(clips, vocab_size=20)


def test_a_caption_names_one_note_or_none():
    assert [caption_midi(c) for c in CAPTIONS] == [69, 49, 73, None, None]  # two notes: none taken
    assert caption_midi("wind chimes, c5") == 72 and caption_midi("a4") == 69


def test_caption_batches_carry_the_note_and_the_null_caption_has_none():
    tok = train_caption_tokenizer(CAPTIONS)
    batch = encode_captions(tok, CAPTIONS, 12)
    assert batch.midi[:3].tolist() == [69.0, 49.0, 73.0] and torch.isnan(batch.midi[3:]).all()
    assert torch.isnan(empty_captions(3, 12, tok.vocab_size).midi).all()
    net = DiffusionNet(sound_config(vocab_size=tok.vocab_size))
    dropped = batch.mask.clone()
    dropped[0] = False  # caption dropout: the first caption becomes the null caption
    feats = net.text(batch.ids, dropped, batch.midi)
    assert math.isnan(feats.midi[0]) and feats.midi[1] == 49.0  # the note is dropped with its caption


def _band_centres(config: DiffusionConfig) -> np.ndarray:
    mel = config.mel_config(config.sample_rate)
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(torch.tensor(mel.fmin, dtype=torch.float64))),
                                     float(hz_to_mel(torch.tensor(mel.fmax, dtype=torch.float64))), mel.n_mels + 2))
    return edges[1:-1].numpy()


@pytest.mark.parametrize("midi", [45, 57, 69, 81])
def test_the_tone_sits_where_the_spectrogram_puts_the_note(midi):
    config = sound_config()
    column = tone_spectra(config)[midi].numpy()
    centres = _band_centres(config)
    lowest = int(np.flatnonzero(column > 0.6 * column.max())[0])  # the fundamental: the lowest strong band
    assert abs(centres[lowest] - midi_to_hz(midi)) <= (centres[lowest + 1] - centres[lowest - 1]), (lowest, column[:40])
    assert column[: max(lowest - 2, 0)].max(initial=0.0) < 0.3  # nothing much below the fundamental


def test_the_unet_reads_the_hint_beside_the_noisy_spectrogram():
    tok = train_caption_tokenizer(CAPTIONS)
    config = sound_config(vocab_size=tok.vocab_size)
    net = DiffusionNet(config)
    assert net.unet.conv_in.in_channels == 2 and config.uses_pitch_hint
    seen = []
    net.unet.conv_in.register_forward_hook(lambda _m, args, _out: seen.append(args[0][:, 1]))
    batch = encode_captions(tok, CAPTIONS, config.max_caption)
    x = torch.randn(len(CAPTIONS), 1, config.height, config.image_width)
    net(x, torch.full((len(CAPTIONS),), 500), net.features(batch))
    hint = seen[0][:, : config.height, : config.image_width]  # the UNet pads to a multiple of its levels
    tones = tone_spectra(config)
    assert torch.allclose(hint[0], tones[69][:, None].expand_as(hint[0]))  # every frame: A4's spectrum
    assert torch.allclose(hint[1], tones[49][:, None].expand_as(hint[1]))
    assert not hint[0].equal(hint[2]) and (hint[3] == 0).all() and (hint[4] == 0).all()  # no single note: no hint


def test_image_models_and_older_sound_models_have_no_hint():
    images = DiffusionConfig().for_data(SimpleNamespace(x=np.zeros((2, 1, 28, 28), np.float32)), vocab_size=20)
    assert not images.uses_pitch_hint and images.unet_config().hint_channels == 0
    saved = sound_config().to_dict()
    del saved["pitch_hint"]  # as the sound models saved before the hint existed
    old = DiffusionConfig.from_dict(saved)
    assert not old.uses_pitch_hint and DiffusionNet(old).tones is None
    assert DiffusionNet(old).unet.conv_in.in_channels == 1  # so their weights still load
