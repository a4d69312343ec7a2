"""Published board packs: the PDF and XLSX a meeting saw, kept exactly as they were made."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty

from academies import permissions
from academies.models import Academy
from kpis.models import Period


class _PacksStorage(LazyObject):
    """The "packs" storage of settings.STORAGES, looked up when first used (and again after a
    test changes STORAGES), so the model never holds a storage made from stale settings."""

    def _setup(self) -> None:
        self._wrapped = storages["packs"]


_packs_storage = _PacksStorage()


def packs_storage():
    """The FileFields' storage: a folder outside any static or media URL, or a private bucket
    (TRUSTPLAN_PACKS_DIR / TRUSTPLAN_PACKS_STORAGE in settings)."""
    return _packs_storage


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        _packs_storage._wrapped = empty


def _pack_file_path(instance: PublishedPack, filename: str) -> str:
    """Files by the meeting's year: "2024/trust-board-9-july-2024-2023-24-summer-1f2e….pdf"."""
    return f"{instance.meeting_date:%Y}/{filename}"


class PublishedPackQuerySet(models.QuerySet):
    def for_display(self) -> PublishedPackQuerySet:
        """What the list and the pack's page show: period, publisher and academies."""
        return self.select_related("period", "published_by").prefetch_related("academies")

    def visible_to(self, user) -> PublishedPackQuerySet:
        """The packs the user may read (academies.permissions.pack_academy_ids): every pack,
        or those naming academies all of which are the user's (never a trust-wide one), in
        the same query (subqueries on the academy links)."""
        scope = permissions.pack_academy_ids(user)
        if scope is None:
            return self
        links = PublishedPack.academies.through.objects
        naming_any = links.values("publishedpack_id")
        naming_others = links.exclude(academy_id__in=scope).values("publishedpack_id")
        return self.filter(pk__in=naming_any).exclude(pk__in=naming_others)


class PublishedPack(models.Model):
    """A board pack published for a meeting: never edited, only (by an administrator) deleted.

    ``snapshot`` holds each value the pack showed for its period and academies, so the pack's
    page can count how many differ now (papers.publishing.changes_since); ``data_digest`` is
    the SHA-256 of everything behind the pack (papers.publishing.pack_data).
    """

    meeting = models.CharField(
        max_length=200, help_text="The meeting it was published for: “Trust Board, 12 March 2024”."
    )
    meeting_date = models.DateField()
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="published_packs")
    academies = models.ManyToManyField(
        Academy,
        blank=True,
        related_name="published_packs",
        help_text="The academies whose body's pack it is; none for a Trust Board pack.",
    )
    pdf = models.FileField(storage=packs_storage, upload_to=_pack_file_path, max_length=300)
    pdf_size = models.PositiveBigIntegerField()
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)
    xlsx = models.FileField(storage=packs_storage, upload_to=_pack_file_path, max_length=300)
    xlsx_size = models.PositiveBigIntegerField()
    xlsx_sha256 = models.CharField("XLSX SHA-256", max_length=64)
    data_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the data behind the pack (canonical JSON)."
    )
    snapshot = models.JSONField(default=dict)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="published_packs"
    )
    published_at = models.DateTimeField()

    objects = PublishedPackQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(meeting=""), name="publishedpack_meeting_named"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} ({self.period})"

    def save(self, *args, **kwargs) -> None:
        # A published pack is the record of what a meeting saw: it is written once.
        if not self._state.adding:
            raise ValueError("A published pack never changes; publish a new one instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("packs:detail", args=[self.pk])

    @property
    def academy_ids(self) -> set[int]:
        """The academies it names (prefetch ``academies``): empty for a Trust Board pack."""
        return {academy.pk for academy in self.academies.all()}

    @property
    def is_trust_wide(self) -> bool:
        return not self.academy_ids

    @property
    def scope_label(self) -> str:
        """ "The whole trust", or the academies' names: "Moreton School, Penn Hall School"."""
        names = [academy.name for academy in self.academies.all()]
        return ", ".join(names) if names else "The whole trust"
