// Training: configs now; trainer, checkpoints and logs come with issue 5 items 3-4.
