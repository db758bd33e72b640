"""Words of last resort, built into the code: they depend on nothing (no database, no
prompt files), so an apology, the disclaimer, the physician prompt and an invitation to
call back (the farewell, always said last) can always be spoken or texted, in English or
Spanish. The line uses them when
its prompt files cannot be served, and its fallback webhooks always do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LastResort:
    speech_tag: str
    voice: str
    apology: str
    disclaimer: str
    physician: str
    call_back: str
    text: str


LAST_RESORT = {
    "en": LastResort(
        speech_tag="en-US", voice="Polly.Joanna",
        apology="Sorry, this information line is having a problem right now.",
        disclaimer="This line gives general information only. It is not medical advice.",
        physician="Please talk with a physician or other qualified health care professional "
                  "about your neck pain and any treatment.",
        call_back="Please call back later. Goodbye.",
        text="Sorry, our info line has a problem right now. Please try again later. "
             "General info only, not medical advice. Talk to a doctor or health care provider.",
    ),
    "es": LastResort(
        speech_tag="es-US", voice="Polly.Lupe",
        apology="Lo sentimos, esta línea de información tiene un problema en este momento.",
        disclaimer="Esta línea da información general. No es un consejo médico.",
        physician="Por favor, hable con un médico u otro profesional de la salud calificado "
                  "sobre su dolor de cuello y cualquier tratamiento.",
        call_back="Por favor, llame más tarde. Adiós.",
        text="Lo sentimos, nuestra linea tiene un problema. Intente mas tarde. "
             "Informacion general, no es consejo medico. Hable con su medico.",
    ),
}
EVERY_LANGUAGE = tuple(LAST_RESORT)  # English first: the line's default


def last_resort(lang: str | None) -> LastResort:
    return LAST_RESORT.get(lang or "en", LAST_RESORT["en"])
