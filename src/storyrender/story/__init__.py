"""From one prompt to a board: the writer job, the answer's shape, beat lengths, the board text.

``prepare_story`` sizes the beats and builds the writing's one-node graph; ``plan_story`` prices
it; ``run_story`` runs it through the runner and store (cached, budgeted) and checks the answer;
``write_new`` writes the validated board and its ``.gitignore``.
"""

from .shape import CAMERAS, MalformedStory, Story, answer_schema, parse_answer
from .write import NewRequest, StoryJob, plan_story, prepare_story, run_story
from .project import write_new

__all__ = ["CAMERAS", "MalformedStory", "Story", "answer_schema", "parse_answer", "NewRequest", "StoryJob",
           "plan_story", "prepare_story", "run_story", "write_new"]
