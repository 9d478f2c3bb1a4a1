import { Library, type MeetingEntry } from '$lib/library/library';
import type { ScheduledMeeting } from '$lib/schedule/schedule';

/**
 * A page's live view of the library: opened on {@link start}, the meeting list kept current
 * (including changes from other tabs), closed by the returned function. For `onMount`.
 */
export class LibraryView {
	library = $state.raw<Library | null>(null);
	meetings = $state.raw<MeetingEntry[]>([]);
	/** Scheduled meetings that are not cancelled (past ones included: the page sorts them out). */
	scheduled = $state.raw<ScheduledMeeting[]>([]);
	/** false until the library has loaded (the page can tell "none yet" from "loading") */
	ready = $state(false);

	/** Opens the library; returns the function that closes it. */
	start(): () => void {
		let stop = () => {};
		let gone = false;
		void Library.open().then((opened) => {
			if (gone) return opened.destroy();
			this.library = opened;
			const show = () => {
				this.meetings = opened.meetings();
				this.scheduled = opened.scheduled();
			};
			show();
			this.ready = true;
			stop = opened.onChange(show);
		});
		return () => {
			gone = true;
			stop();
			void this.library?.destroy();
			this.library = null;
		};
	}
}
